package dev.emo.cli;

import dev.emo.bench.ForwardBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (numbers only, no pass/fail) on reference-sized models with random weights.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--what", defaultValue = "forward", description = "forward (default: ${DEFAULT-VALUE})")
    String what;

    @Option(names = "--arch", defaultValue = "gpt2-small", description = "gpt2-small | opt-125m | llama-tiny (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--batch", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--length", defaultValue = "256", description = "default: ${DEFAULT-VALUE}")
    int length;

    @Option(names = "--reps", defaultValue = "3", description = "timed repetitions after one warm-up (default: ${DEFAULT-VALUE})")
    int reps;

    @Override
    public Integer call() {
        if (!what.equals("forward")) throw new dev.emo.UserError("--what " + what + ": unknown benchmark; use forward");
        ForwardBenchmark.Result r = ForwardBenchmark.run(arch, batch, length, 1, reps);
        System.out.printf("forward %s batch %dx%d: %.0f tokens/s (s per pass: %s), peak RSS %d MB, %d cores%n",
                r.arch(), r.batch(), r.length(), r.tokensPerSecond(), Arrays.toString(r.seconds()), r.peakRssMb(),
                Runtime.getRuntime().availableProcessors());
        return 0;
    }
}
