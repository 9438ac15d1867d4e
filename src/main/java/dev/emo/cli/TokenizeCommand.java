package dev.emo.cli;

import dev.emo.jobs.TokenizeJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes what the model will see of instruction data: per example (or packed row) input_ids, labels (-100 where",
                "no loss is taken) and position_ids, one JSON object a line. The file holds {\"prompt\", \"completion\"},",
                "{\"messages\": [...]} (rendered with the model's chat template) or {\"text\"} lines, one format a file."})
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder (its tokenizer, and tokenizer_config.json's chat_template and eos_token)")
    Path model;
    @Option(names = "--file", required = true, description = "JSONL instruction data")
    Path file;
    @Option(names = "--block_size", description = "tokens per row at most; longer examples are truncated (default: the model's positions)")
    Integer blockSize;
    @Option(names = "--packing", description = "concatenate examples into rows of --block_size; position_ids restart at each example")
    boolean packing;
    @Option(names = "--completion_only_loss", arity = "1", defaultValue = "true",
            description = "prompt/completion data: the loss on the completion only (default: ${DEFAULT-VALUE}); false: on the prompt too")
    boolean completionOnlyLoss;
    @Option(names = "--chat_template", description = "a Jinja chat template file instead of tokenizer_config.json's chat_template")
    Path chatTemplate;
    @Option(names = "--output", required = true, description = "the JSONL file to write")
    Path output;

    @Override
    public Integer call() {
        TokenizeJob.Counts c = TokenizeJob.run(new TokenizeJob.Settings(model, file, chatTemplate, blockSize, packing, completionOnlyLoss, output));
        System.out.printf("examples       %d%n", c.examples());
        if (packing) System.out.printf("packed rows    %d (block %d)%n", c.rows(), c.blockSize());
        System.out.printf("tokens         %d%n", c.tokens());
        System.out.printf("trained tokens %d%n", c.trainedTokens());
        System.out.printf("truncated      %d (longer than %d tokens)%n", c.truncated(), c.blockSize());
        System.out.printf("written to     %s%n", output);
        return 0;
    }
}
