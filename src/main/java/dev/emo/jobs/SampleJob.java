package dev.emo.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.data.TextFiles;
import dev.emo.generation.Generator;
import dev.emo.generation.Sampling;
import dev.emo.models.CausalLM;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import dev.emo.util.OutputLock;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples a corpus from a model: {@code numSamples} documents, unconditional from BOS or continuing
 * the lines of a prompts file (sample i continues prompt i mod P), batched with the KV cache, one
 * document per line (plain text, or JSONL with the text and token ids where the output ends in
 * .jsonl). Sample i draws from its own seeded stream (seed, i), so the file does not depend on the
 * batch size; lines are appended and flushed batch by batch, and re-running the same command after
 * an interruption drops a partial last line and completes the file, byte for byte as one run writes
 * it. The settings live beside the output ({@code OUTPUT.sample.json}): a re-run with other settings
 * is refused instead of mixing two corpora in one file.
 */
public final class SampleJob {
    /** @param prompts a text file, one prompt per line, or null for unconditional samples from BOS */
    public record Settings(Path model, Path adapter, int numSamples, int maxNewTokens, int batchSize, long seed, Sampling sampling,
                           Path prompts, Path output, boolean allowOtherBase, dev.emo.lowbit.BaseDType baseDtype) {
        /** An adapter must have been trained on this base. */
        public Settings(Path model, Path adapter, int numSamples, int maxNewTokens, int batchSize, long seed, Sampling sampling,
                        Path prompts, Path output) {
            this(model, adapter, numSamples, maxNewTokens, batchSize, seed, sampling, prompts, output, false, dev.emo.lowbit.BaseDType.FLOAT32);
        }

        public Settings {
            if (model == null) throw new UserError("--model: missing; pass an exported model folder");
            if (output == null) throw new UserError("--output: missing; name the file the samples go to");
            if (numSamples < 1) throw new UserError("--num_samples " + numSamples + ": must be at least 1");
            if (maxNewTokens < 1) throw new UserError("--max_new_tokens " + maxNewTokens + ": must be at least 1");
            if (batchSize < 1) throw new UserError("--batch_size " + batchSize + ": must be at least 1");
            if (baseDtype == null) baseDtype = dev.emo.lowbit.BaseDType.FLOAT32;
        }

        boolean jsonl() {
            return output.getFileName().toString().endsWith(".jsonl");
        }

        /** What decides the file's content (not the batch size). */
        Map<String, Object> key() {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("model", model.toAbsolutePath().normalize().toString());
            k.put("adapter", adapter == null ? "" : adapter.toAbsolutePath().normalize().toString());
            k.put("num_samples", numSamples);
            k.put("max_new_tokens", maxNewTokens);
            k.put("seed", seed);
            k.put("sampling", sampling.toString());
            k.put("prompts", prompts == null ? "" : prompts.toAbsolutePath().normalize().toString());
            if (baseDtype.packed()) k.put("base_dtype", baseDtype.flag());   // rounded or quantised weights sample other text
            return k;
        }
    }

    /** Progress: samples in the file of the total. */
    public interface Listener {
        Listener NONE = (done, total) -> { };

        void samples(long done, long total);
    }

    private final Settings s;
    private final Tokenizer tok;
    private final List<int[]> prompts;    // token ids, BOS-first as the tokenizer encodes
    private final int done;               // complete samples already in the file

    private SampleJob(Settings s, Tokenizer tok, List<int[]> prompts, int done) {
        this.s = s;
        this.tok = tok;
        this.prompts = prompts;
        this.done = done;
    }

    public static Path settingsFile(Path output) {
        return output.resolveSibling(output.getFileName() + ".sample.json");
    }

    /** Checks the model, prompts and output (and, for a partial file, that it was made with these settings); writes nothing. */
    public static SampleJob prepare(Settings s) {
        if (Files.isDirectory(s.output())) throw UserError.of(s.output(), "is a folder", "pass a file name for --output");
        Path parent = s.output().toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) throw UserError.of(parent, "not found", "create the folder --output goes into");
        int positions = ModelFamilies.config(s.model()).maxPositions();
        Tokenizer tok = ModelFamilies.tokenizer(s.model());
        List<int[]> prompts = new ArrayList<>();
        if (s.prompts() != null) {
            for (String line : TextFiles.read(s.prompts(), TextFiles.detect(s.prompts()), "text", "--prompts")) {
                int[] ids = tok.encode(line);
                prompts.add(ids.length == 0 ? new int[]{tok.bosId()} : ids);
            }
            if (prompts.isEmpty()) throw UserError.of(s.prompts(), "holds no prompt", "one prompt per line");
        } else {
            prompts.add(new int[]{tok.bosId()});
        }
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(1);
        if (longest >= positions) {   // no --max_new_tokens helps: the prompt itself leaves no position to sample into
            int line = 1;
            while (prompts.get(line - 1).length != longest) line++;
            throw UserError.of(s.prompts(), "line " + line + " is " + longest + " tokens, and the model has " + positions + " positions",
                    "shorten the prompts to at most " + (positions - 1) + " tokens");
        }
        if (longest + (long) s.maxNewTokens() > positions) {
            throw UserError.of(s.model().resolve("config.json"), "the longest prompt's " + longest + " tokens + --max_new_tokens "
                    + s.maxNewTokens() + " exceed the model's " + positions + " positions", "pass --max_new_tokens " + Math.max(1, positions - longest) + " or less");
        }
        OutputLock.refuseIfHeld(lockFile(s.output()), s.output(), "sample", "--output");
        return new SampleJob(s, tok, prompts, samplesSoFar(s));
    }

    /** The lock beside the output: a second sample into the same file is refused while the first writes. */
    public static Path lockFile(Path output) {
        return output.resolveSibling(output.getFileName() + ".lock");
    }

    /** Complete samples already in the output, after checking they were made with these settings. */
    private static int samplesSoFar(Settings s) {
        int done = 0;
        Path key = settingsFile(s.output());
        if (Files.exists(s.output()) && size(s.output()) > 0) {
            if (!Files.isRegularFile(key)) {
                throw UserError.of(s.output(), "already exists and was not written by sample (no " + key.getFileName() + ")",
                        "choose another --output, or remove the file");
            }
            String before, now;
            try {
                before = Files.readString(key).strip();
                now = new ObjectMapper().writeValueAsString(s.key());
            } catch (IOException e) {
                throw UserError.of(key, "cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")", "remove it and the output to start again");
            }
            if (!now.equals(before)) {    // the settings file is written exactly so, before the first sample
                throw UserError.of(s.output(), "was sampled with other settings (" + key.getFileName() + ": " + before + ")",
                        "re-run that command to complete it, or choose another --output");
            }
            done = completeLines(s.output());
            if (done > s.numSamples()) {
                throw UserError.of(s.output(), "holds " + done + " samples, more than --num_samples " + s.numSamples(), "choose another --output");
            }
        }
        return done;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file");
        }
    }

    public int alreadyDone() {
        return done;
    }

    /** Samples what is missing, appending whole lines batch by batch. */
    public void run(Listener listener) {
        try (OutputLock lock = OutputLock.acquire(lockFile(s.output()), s.output(), "sample", "--output")) {
            // under the lock: another sample may have written the file since prepare() read it
            int have = samplesSoFar(s);
            Files.writeString(settingsFile(s.output()), new ObjectMapper().writeValueAsString(s.key()));
            truncateToCompleteLines(s.output());
            if (have >= s.numSamples()) {
                listener.samples(have, s.numSamples());
                return;
            }
            CausalLM model = Models.loadWithAdapter(s.model(), s.adapter(), true, s.allowOtherBase(), s.baseDtype()).model();
            Generator generator = new Generator(model);
            Generator.Options options = new Generator.Options(s.maxNewTokens(), s.sampling(), s.seed(), tok.eosId(), s.batchSize());
            ObjectMapper json = new ObjectMapper();
            try (var out = Files.newBufferedWriter(s.output(), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND)) {
                for (int start = have; start < s.numSamples(); start += s.batchSize()) {
                    int end = Math.min(s.numSamples(), start + s.batchSize());
                    List<int[]> batch = new ArrayList<>();
                    for (int i = start; i < end; i++) batch.add(prompts.get(i % prompts.size()));
                    List<Generator.Output> outs = generator.generate(batch, options, start);
                    for (int i = 0; i < outs.size(); i++) {
                        int[] prompt = batch.get(i), ids = withoutStop(outs.get(i).ids(), tok.eosId());
                        String text = s.prompts() == null ? tok.decode(ids) : tok.decode(concat(prompt, ids));
                        if (s.jsonl()) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("text", text);
                            row.put("ids", ids);
                            out.write(json.writeValueAsString(row));
                        } else {
                            out.write(text.replace('\n', ' ').replace('\r', ' '));   // one document per line
                        }
                        out.newLine();
                    }
                    out.flush();
                    listener.samples(end, s.numSamples());
                }
            }
        } catch (IOException e) {
            throw UserError.of(s.output(), "cannot be written (" + e.getMessage() + ")", "free disk space, then run the same command again to complete it");
        }
    }

    private static int[] withoutStop(int[] ids, int stop) {
        return ids.length > 0 && ids[ids.length - 1] == stop ? java.util.Arrays.copyOf(ids, ids.length - 1) : ids;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Lines ending in a newline (a last line without one was cut off by an interruption). */
    static int completeLines(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int n = 0;
            for (byte b : bytes) if (b == '\n') n++;
            return n;
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file");
        }
    }

    /** Drops a partial last line, so appending continues at a line boundary. */
    private static void truncateToCompleteLines(Path file) throws IOException {
        if (!Files.exists(file)) return;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long end = f.length();
            while (end > 0) {
                f.seek(end - 1);
                if (f.read() == '\n') break;
                end--;
            }
            f.setLength(end);
        }
    }
}
