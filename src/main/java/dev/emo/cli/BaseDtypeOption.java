package dev.emo.cli;

import dev.emo.lowbit.BaseDType;
import dev.emo.registry.Models;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --base_dtype} for the commands that run a model without training it (generate, sample, evaluate). */
final class BaseDtypeOption {
    @Option(names = "--base_dtype", defaultValue = "auto",
            description = "how the base's Linear weights are kept: auto (the checkpoint's own bfloat16/float16, float32 for ONNX exports) | float32 | bfloat16 | float16 | q8_0 (default: ${DEFAULT-VALUE})")
    String value;

    /** Resolved for {@code model} before anything loads (a frozen base: auto is the checkpoint's own type). */
    BaseDType resolve(Path model) {
        return Models.baseDtype(value, model, true);
    }
}
