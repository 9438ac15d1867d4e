package dev.emo.cli;

import dev.emo.generation.Sampling;
import dev.emo.jobs.SampleJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Samples a corpus from a model: one document per line (JSONL with token ids for a .jsonl --output).",
                "Unbiased (ancestral) sampling by default; seeded per sample, so any --batch_size gives the same file.",
                "Re-running the same command after an interruption completes the file."})
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "exported model folder (or a Hugging Face checkpoint folder)")
    Path model;
    @Option(names = "--adapter", description = "a PEFT LoRA adapter folder applied to --model")
    Path adapter;
    @picocli.CommandLine.Mixin
    BaseDtypeOption baseDtype;

    @Option(names = "--allow_other_base", description = "apply --adapter even if it was trained on another base model (its weights hash differs)")
    boolean allowOtherBase;
    @Option(names = "--num_samples", required = true, description = "documents to sample")
    int numSamples;
    @Option(names = "--max_new_tokens", defaultValue = "128", description = "tokens per sample at most; a sample also ends at EOS (default: ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--batch_size", defaultValue = "16", description = "samples decoded together (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--seed", defaultValue = "42", description = "default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--temperature", defaultValue = "1.0", description = "default: ${DEFAULT-VALUE}")
    double temperature;
    @Option(names = "--top_k", defaultValue = "0", description = "0 = no cut (default: ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--top_p", defaultValue = "1.0", description = "1 = no cut (default: ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--prompts", description = "a text file, one prompt per line, continued in turn (default: unconditional, from BOS)")
    Path prompts;
    @Option(names = "--output", required = true, description = "the corpus file (.txt or .jsonl)")
    Path output;

    @Override
    public Integer call() {
        SampleJob job = SampleJob.prepare(new SampleJob.Settings(model, adapter, numSamples, maxNewTokens, batchSize, seed,
                new Sampling(false, temperature, topK, topP), prompts, output, allowOtherBase,
                baseDtype.resolve(model)));
        if (job.alreadyDone() > 0) System.err.printf("%s holds %d of %d samples; continuing%n", output, job.alreadyDone(), numSamples);
        Progress bar = new Progress(numSamples, 0);
        job.run((done, total) -> {
            bar.update(done, "samples ");
            if (done == total) bar.done();
        });
        System.out.printf("%d samples in %s%n", numSamples, output);
        return 0;
    }
}
