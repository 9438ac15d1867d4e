package dev.emo.kernels;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph op that only our graph executor runs: a fused forward (or backward) of what would
 * otherwise be several libnd4j passes over the same large array, computed in Java on the host.
 * libnd4j does not know its name, so SameDiff's own session cannot run a graph holding one; the
 * models use these ops only where {@link #enabled()} (CPU backend), and keep their primitive
 * composition elsewhere. Gradients are other HostOps ({@code doDiff}), one output per input in
 * input order, as SameDiff expects; an output nothing reads is not computed (left null).
 */
public abstract class HostOp extends DynamicCustomOp {
    private static final boolean CPU = Nd4j.getBackend().getClass().getSimpleName().startsWith("Cpu");

    /** Allocates an output array (float, C order, dense) of a shape. */
    public interface Outputs {
        INDArray acquire(long[] shape);
    }

    protected HostOp(SameDiff sd, SDVariable... args) {
        super(null, sd, args);
    }

    /** For SameDiff's copy of the graph, which re-creates every op by name with this constructor. */
    protected HostOp() {}

    /**
     * Makes ops known to SameDiff by name. createGradFunction copies the graph through its
     * FlatBuffers form, which stores a custom op by name (hash 0 for a name libnd4j lacks) and
     * re-creates it from ND4J's name→op map.
     */
    public static void register(HostOp... ops) {
        for (HostOp op : ops) ImportClassMapping.getOpNameMapping().putIfAbsent(op.opName(), op);
    }

    /** Our ops carry their settings as tArgs, which the FlatBuffers form keeps; no named properties (libnd4j has no descriptor for them). */
    @Override
    public Map<String, Object> propertiesForFunction() {
        return new LinkedHashMap<>();
    }

    @Override
    public void setPropertiesForFunction(Map<String, Object> properties) {
        // see propertiesForFunction
    }

    /** Whether models build their fused ops as HostOps: on the CPU backend, unless {@code -Demo.fused=false}. */
    public static boolean enabled() {
        return CPU && !"false".equals(System.getProperty("emo.fused"));
    }

    /** Computes the outputs from the inputs (in argument order); {@code needed[i]} false: output i may be null. */
    public abstract INDArray[] run(INDArray[] args, boolean[] needed, Outputs out);

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> inputs) {
        return Collections.nCopies(getNumOutputs(), DataType.FLOAT);
    }
}
