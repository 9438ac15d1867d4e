package dev.emo.compat;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

/**
 * Two M2.1 behaviours met when a loss's gradient is fed into a graph from outside
 * ({@code SameDiffUtils.externalErrors}, how DL4J's own SameDiff layers take outside losses):
 * <ul>
 *   <li>the hook's ExternalErrorsFunction both registers its placeholder as the gradient and returns
 *       it, so the gradient function computes add(g, g): the fed gradient counts twice;</li>
 *   <li>building the gradient function prints one System.out line per differentiated op.</li>
 * </ul>
 * Tested in {@code compat.UpstreamBehaviourTest}: when a DL4J upgrade fixes them, those tests fail.
 */
public final class ExternalGradient {
    private ExternalGradient() {}

    /**
     * Where dL/d(output) must be fed: the output of the gradient function's add(g, g) where M2.1
     * doubles it (feeding the sum itself also skips an [N, V] copy and add), else the placeholder
     * (a fixed ND4J). Detected from the graph rather than assumed.
     */
    public static String feedPoint(SameDiff sd, String placeholder) {
        for (SameDiffOp op : sd.getFunction("grad").getOps().values()) {
            List<String> in = op.getInputsToOp();
            if (in != null && in.size() == 2 && in.get(0).equals(placeholder) && in.get(1).equals(placeholder)) {
                return op.getOutputsOfOp().get(0);
            }
        }
        return placeholder;
    }

    /** Builds the gradient function with System.out silenced (M2.1 prints every differentiated op). */
    public static void createGradFunctionQuietly(SameDiff sd) {
        if (sd.hasGradientFunction()) return;
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }
}
