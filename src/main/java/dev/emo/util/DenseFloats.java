package dev.emo.util;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Float arrays whose buffer is exactly their elements in C order: what host code (Java loops, NIO
 * copies) may read and write through the buffer directly, with no stride arithmetic.
 */
public final class DenseFloats {
    private DenseFloats() {}

    /** Float, not a view, no offset, C order, and a buffer no longer than the elements. */
    public static boolean is(INDArray a) {
        return a.dataType() == DataType.FLOAT && !a.isView() && a.offset() == 0 && a.ordering() == 'c' && a.data().length() == a.length();
    }

    /** The array's elements (C order) as a buffer over memory of its own: the array's, or a dense copy's. */
    public static FloatBuffer of(INDArray a) {
        if (a.dataType() != DataType.FLOAT) throw new IllegalArgumentException("float array expected, got " + a.dataType());
        return (is(a) ? a : a.dup('c')).data().asNioFloat();
    }
}
