package dev.emo.registry;

import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.models.CausalLM;
import dev.emo.models.LoraSpec;
import dev.emo.safetensors.SafeTensorsWriter;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;

/**
 * One weight of a model as {@link CausalLM#mergedWeights()} gives it (the base plus (α/r)·B·A where
 * LoRA adapts it), written a block of rows at a time: packed rows are decoded, their rows of B·A
 * added, and the sum encoded to the file's dtype, so merging a packed 7B model never holds it in
 * float32. A packed weight no adapter touches, written in its own type, is copied byte for byte.
 */
final class MergedRows {
    /** Values per block: a few MB of float32, whatever the width of a row. */
    private static final long BLOCK_VALUES = 1 << 20;

    private MergedRows() {}

    /** Writes weight {@code name} as the writer's current tensor (its shape as the model stores it). */
    static void write(CausalLM model, String name, SafeTensorsWriter out) throws IOException {
        FrozenWeight frozen = model.frozenWeights().get(name);
        SDVariable param = model.params().get(name);
        LoraSpec lora = model.lora();
        SDVariable a = lora == null || !name.endsWith(".weight") ? null : model.loraParams().get(LoraSpec.module(name) + ".lora_A.weight");
        INDArray b = a == null ? null : model.loraParams().get(LoraSpec.module(name) + ".lora_B.weight").getArr();
        if (frozen != null && a == null && sameType(frozen.dtype(), out.current().dtype())) {
            out.putRaw(frozen.matrix().raw());
            return;
        }
        long[] shape = frozen != null ? frozen.shape() : param.getArr().shape();
        long cols = shape.length == 0 ? 1 : shape[shape.length - 1], rows = cols == 0 ? 0 : (frozen != null ? shape[0] : param.getArr().length() / cols);
        // GPT-2's Conv1D stores [in, out]: its rows take the columns of B·A
        boolean inOut = frozen != null ? frozen.inOut() : ModelFamilies.of(model.config()).loraFanInFanOut();
        INDArray flat = param == null ? null : param.getArr().reshape('c', new long[]{param.getArr().length()});
        long perBlock = Math.max(1, BLOCK_VALUES / Math.max(1, cols));
        for (long r0 = 0; r0 < rows; r0 += perBlock) {
            int n = (int) Math.min(perBlock, rows - r0), c = (int) cols;
            float[] v;
            if (frozen != null) {
                v = new float[n * c];
                float[] row = new float[c];
                for (int r = 0; r < n; r++) {
                    frozen.matrix().decodeRow((int) r0 + r, row);
                    System.arraycopy(row, 0, v, r * c, c);
                }
            } else {
                v = flat.get(NDArrayIndex.interval(r0 * cols, (r0 + n) * cols)).dup().data().asFloat();
            }
            if (a != null) {
                INDArray delta = inOut
                        ? b.mmul(a.getArr().get(NDArrayIndex.all(), NDArrayIndex.interval(r0, r0 + n))).muli(lora.scale()).transpose().dup('c')
                        : b.get(NDArrayIndex.interval(r0, r0 + n), NDArrayIndex.all()).mmul(a.getArr()).muli(lora.scale());
                float[] d = delta.data().asFloat();
                for (int i = 0; i < v.length; i++) v[i] += d[i];
            }
            out.putFloats(v, 0, v.length);
        }
    }

    private static boolean sameType(BaseDType packed, String fileDtype) {
        return packed == BaseDType.BFLOAT16 && fileDtype.equals("BF16") || packed == BaseDType.FLOAT16 && fileDtype.equals("F16");
    }
}
