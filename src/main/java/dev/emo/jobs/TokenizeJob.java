package dev.emo.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.data.InstructionData;
import dev.emo.data.Packing;
import dev.emo.registry.ModelFamilies;
import dev.emo.tokenizers.Tokenizer;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the model will see of an instruction file: per example (or packed row) its input_ids, labels
 * (-100 where no loss is taken) and position_ids, one JSON object a line, and the counts. Everything is
 * read and checked before the output is written, and the output appears whole (written beside it, then
 * moved into place), so a refused input leaves the disk as it was.
 */
public final class TokenizeJob {
    /**
     * @param blockSize    tokens per row at most; null: the model's positions
     * @param chatTemplate a Jinja file instead of tokenizer_config.json's chat_template, or null
     */
    public record Settings(Path model, Path file, Path chatTemplate, Integer blockSize, boolean packing, boolean completionOnlyLoss, Path output) {
        public Settings {
            if (model == null) throw new UserError("--model: missing; pass an exported model folder");
            if (file == null) throw new UserError("--file: missing; pass a JSONL file of instruction examples");
            if (output == null) throw new UserError("--output: missing; name the JSONL file to write");
            if (blockSize != null && blockSize < 2) throw new UserError("--block_size " + blockSize + ": must be ≥ 2 (an input token and its next token)");
        }
    }

    /** @param rows lines written: examples, or packed rows */
    public record Counts(int examples, int rows, long tokens, long trainedTokens, int truncated, int blockSize) {}

    private TokenizeJob() {}

    public static Counts run(Settings s) {
        if (Files.isDirectory(s.output())) throw UserError.of(s.output(), "is a folder", "pass a file name for --output");
        Path parent = s.output().toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) throw UserError.of(parent, "not found", "create the folder --output goes into");
        int positions = ModelFamilies.config(s.model()).maxPositions();
        int block = s.blockSize() == null ? positions : s.blockSize();
        if (block > positions) {
            throw UserError.of(s.model().resolve("config.json"), "--block_size " + block + " does not fit the model's " + positions + " positions",
                    "pass --block_size between 2 and " + positions);
        }
        Tokenizer tok = ModelFamilies.tokenizer(s.model());
        List<InstructionData.Example> examples = InstructionData.read(s.file(), tok,
                new InstructionData.Settings(s.model(), s.chatTemplate(), s.completionOnlyLoss()));
        Packing.Result packed = Packing.rows(examples, block, s.packing());
        long tokens = 0, trained = 0;
        for (Packing.Row r : packed.rows()) {
            tokens += r.inputIds().length;
            trained += r.trainedTokens();
        }
        write(packed.rows(), s.output());
        return new Counts(examples.size(), packed.rows().size(), tokens, trained, packed.truncated(), block);
    }

    private static void write(List<Packing.Row> rows, Path output) {
        Path part = output.resolveSibling(output.getFileName() + ".part");
        ObjectMapper json = new ObjectMapper();
        try {
            try (Writer out = Files.newBufferedWriter(part, StandardCharsets.UTF_8)) {
                for (Packing.Row r : rows) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("input_ids", r.inputIds());
                    line.put("labels", r.labels());
                    line.put("position_ids", r.positionIds());
                    out.write(json.writeValueAsString(line));
                    out.write('\n');
                }
            }
            Files.move(part, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // the message below names the output; a stray .part file is the lesser problem
            }
            throw UserError.of(output, "cannot be written (" + e.getMessage() + ")", "check the folder's permissions and free space");
        }
    }
}
