package dev.emo.bench;

import dev.emo.util.Rss;
import dev.emo.generation.Generator;
import dev.emo.generation.Sampling;
import dev.emo.registry.Architectures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Ancestral-sampling throughput on a reference-sized model with random weights: a batch of prompts,
 * a fixed number of new tokens (no stop token), timed end to end (prefill included) with the KV
 * cache and, optionally, without it. Prints numbers; asserts nothing.
 */
public final class GenerationBenchmark {
    private GenerationBenchmark() {}

    /** uncachedSeconds is NaN when the uncached run was not asked for. */
    public record Result(String arch, int batch, int promptLength, int newTokens, double cachedSeconds,
                         double uncachedSeconds, long peakRssMb) {
        public double cachedTokensPerSecond() {
            return batch * (double) newTokens / cachedSeconds;
        }

        public double uncachedTokensPerSecond() {
            return batch * (double) newTokens / uncachedSeconds;
        }
    }

    /** Per-op times of the executor (empty unless run with -Demo.profile=true). */
    public static String opProfile() {
        return dev.emo.execution.OpProfile.report();
    }

    public static Result run(String arch, int batch, int promptLength, int newTokens, boolean uncached) {
        CausalLM plain = Architectures.randomModel(arch, 1);
        CausalLM cached = Models.withKvCache(plain);
        Random rng = new Random(1);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] p = new int[promptLength];
            for (int i = 0; i < promptLength; i++) p[i] = rng.nextInt(plain.config().vocabSize());
            prompts.add(p);
        }
        Generator.Options o = new Generator.Options(newTokens, Sampling.ANCESTRAL, 1, -1, batch);
        new Generator(cached).generate(prompts, new Generator.Options(2, Sampling.ANCESTRAL, 1, -1, batch)); // warm-up
        Rss.Peak peak = new Rss.Peak();
        double withCache = time(() -> new Generator(cached).generate(prompts, o));
        long peakMb = peak.stop();
        double without = uncached ? time(() -> new Generator(plain).generate(prompts, o)) : Double.NaN;
        return new Result(arch, batch, promptLength, newTokens, withCache, without, peakMb);
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
