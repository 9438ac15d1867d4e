package dev.emo.registry;

import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.models.CausalLM;
import dev.emo.models.LoraSpec;
import dev.emo.safetensors.SafeTensorsWriter;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;

/**
 * A model's weights as {@link CausalLM#mergedWeights()} gives them (the base plus (α/r)·B·A where
 * LoRA adapts it), written a block of rows at a time: packed rows are decoded, their rows of B·A
 * added, and the sum encoded to the file's dtype, so merging a packed 7B model never holds it in
 * float32. A packed weight no adapter touches, written in its own type, is copied byte for byte.
 * One block of floats is reused for every weight (a block per call would grow the Java heap).
 */
final class MergedRows {
    /** Values per block: a few MB of float32, whatever the width of a row. */
    private static final int BLOCK_VALUES = 1 << 20;

    private final CausalLM model;
    private final float[] block = new float[BLOCK_VALUES];
    private float[] row = new float[0];

    MergedRows(CausalLM model) {
        this.model = model;
    }

    /** Writes weight {@code name} as the writer's current tensor (its shape as the model stores it). */
    void write(String name, SafeTensorsWriter out) throws IOException {
        FrozenWeight frozen = model.frozenWeights().get(name);
        SDVariable param = model.params().get(name);
        LoraSpec lora = model.lora();
        SDVariable a = lora == null || !name.endsWith(".weight") ? null : model.loraParams().get(LoraSpec.module(name) + ".lora_A.weight");
        if (a == null && frozen == null) {
            out.putArray(param.getArr());
            return;
        }
        if (a == null && sameType(frozen.dtype(), out.current().dtype())) {
            out.putRaw(frozen.matrix().raw());
            return;
        }
        INDArray b = a == null ? null : model.loraParams().get(LoraSpec.module(name) + ".lora_B.weight").getArr();
        INDArray w = frozen == null ? dense(param.getArr()) : null;
        long[] shape = frozen != null ? frozen.shape() : w.shape();
        int rows = (int) shape[0], cols = (int) shape[1];
        // GPT-2's Conv1D stores [in, out]: its rows take the columns of B·A
        boolean inOut = frozen != null ? frozen.inOut() : ModelFamilies.of(model.config()).loraFanInFanOut();
        int perBlock = Math.max(1, Math.min(rows, BLOCK_VALUES / cols));
        float[] v = cols <= BLOCK_VALUES ? block : new float[cols];
        if (row.length < cols) row = new float[cols];
        for (int r0 = 0; r0 < rows; r0 += perBlock) {
            int n = Math.min(perBlock, rows - r0);
            if (frozen != null) {
                for (int r = 0; r < n; r++) {
                    frozen.matrix().decodeRow(r0 + r, row);
                    System.arraycopy(row, 0, v, r * cols, cols);
                }
            } else {
                w.data().asNioFloat().get(r0 * cols, v, 0, n * cols);
            }
            if (a != null) addDelta(v, a.getArr(), b, lora.scale(), inOut, r0, n);
            out.putFloats(v, 0, n * cols);
        }
        if (w != null && w != param.getArr()) w.close();   // a dense copy made here
    }

    /** v[0, n·cols) += rows r0..r0+n of scale·B·A [out, in], or of its transpose where the weight is stored [in, out]. */
    private static void addDelta(float[] v, INDArray a, INDArray b, double scale, boolean inOut, int r0, int n) {
        INDArray product = inOut ? b.mmul(a.get(NDArrayIndex.all(), NDArrayIndex.interval(r0, r0 + n))).muli(scale)   // [out, n]
                : b.get(NDArrayIndex.interval(r0, r0 + n), NDArrayIndex.all()).mmul(a).muli(scale);                       // [n, in]
        INDArray delta = inOut ? product.transpose().dup('c') : product;
        var d = delta.data().asNioFloat();
        for (int i = 0, count = (int) delta.length(); i < count; i++) v[i] += d.get(i);
        if (delta != product) delta.close();
        product.close();
    }

    /** The array as float32 c order from index 0 (itself where it is). */
    private static INDArray dense(INDArray t) {
        return t.dataType() == DataType.FLOAT && t.ordering() == 'c' && !t.isView() && t.data().offset() == 0 ? t : t.castTo(DataType.FLOAT).dup('c');
    }

    private static boolean sameType(BaseDType packed, String fileDtype) {
        return packed == BaseDType.BFLOAT16 && fileDtype.equals("BF16") || packed == BaseDType.FLOAT16 && fileDtype.equals("F16");
    }
}
