package dev.emo.cli;

import dev.emo.registry.Models;
import dev.emo.onnx.ParityCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Runs the export through ONNX Runtime and through our SameDiff graph on a padded batch; "
                + "fails if the max |Δlogit| over real tokens exceeds " + ParityCheck.TOLERANCE + ".")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "exported model folder (config.json + model.onnx)")
    Path model;

    @Option(names = "--batch", defaultValue = "3", description = "rows in the check batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--length", defaultValue = "32", description = "tokens per row (default: ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--seed", defaultValue = "1234", description = "seed of the random batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        // checked before anything reaches libnd4j: a zero dimension there crashes the JVM (issue #11)
        if (batch < 1) throw new dev.emo.UserError("--batch " + batch + ": must be at least 1");
        if (length < 1) throw new dev.emo.UserError("--length " + length + ": must be at least 1");
        // beyond the positions the check would silently run shorter than asked (it was clamped)
        int positions = dev.emo.registry.ModelFamilies.config(model).maxPositions();
        if (length > positions) {
            throw dev.emo.UserError.of(model.resolve("config.json"), "--length " + length + " exceeds the model's " + positions + " positions",
                    "pass --length " + positions + " or less");
        }
        long t0 = System.nanoTime();
        Models.Loaded loaded = Models.load(model);
        long loadMs = (System.nanoTime() - t0) / 1_000_000;
        ParityCheck.Result r = ParityCheck.run(loaded.model(), loaded.onnx().file(), batch, length, seed);
        System.out.printf("model      %s (%s)%n", model, loaded.model().config().modelType());
        System.out.printf("batch      %d x %d, right-padded; loaded in %d ms; SameDiff %d ms, ONNX Runtime %d ms%n",
                r.batch(), r.length(), loadMs, r.sameDiffMillis(), r.ortMillis());
        System.out.printf("max |Δlogit| real tokens %.3e, all positions %.3e (tolerance %.0e)%n",
                r.maxAbsReal(), r.maxAbsAll(), ParityCheck.TOLERANCE);
        System.out.println(r.passed() ? "PASS" : "FAIL");
        return r.passed() ? 0 : 1;
    }
}
