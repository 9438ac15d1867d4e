package dev.emo.cli;

import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** finetune's bad input: one line naming the file and the fix, exit code 2, nothing half-written. */
class FinetuneInputTest {
    @TempDir
    Path tmp;

    private String fails(String... extra) {
        java.util.Map<String, String> opts = new java.util.LinkedHashMap<>();
        opts.put("--model", Fixtures.model("stories260k").toString());
        opts.put("--output_dir", tmp.resolve("out").toString());
        opts.put("--max_steps", "1");
        opts.put("--block_size", "16");
        for (int i = 0; i < extra.length; i += 2) opts.put(extra[i], extra[i + 1]);
        if (opts.containsKey("--train_file") && !opts.containsKey("--validation_file")) opts.put("--validation_file", opts.get("--train_file"));
        List<String> args = new ArrayList<>(List.of("finetune"));
        opts.forEach((k, v) -> {
            args.add(k);
            if (v != null) args.add(v);   // null: a flag without a value
        });
        CliRun r = CliRun.of(args.toArray(String[]::new));
        int code = r.code();
        String msg = r.err().strip();
        String last = msg.lines().reduce((a, b) -> b).orElse("");
        assertEquals(2, code, msg);
        assertTrue(last.startsWith("error: "), msg);
        return last;
    }

    private Path file(String name, String content) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    /** Issue #13: an unreachable --spark_master is one line within 60 s, exit 2, nothing written. */
    @Test
    void unreachableSparkMaster() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();   // free once closed: nothing listens there
        }
        Path train = file("train.txt", "the cat sat on the mat and looked at the sun.\n".repeat(20));
        long t0 = System.nanoTime();
        String m = fails("--train_file", train.toString(), "--spark_master", "spark://127.0.0.1:" + port);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(m.contains("--spark_master spark://127.0.0.1:" + port) && m.contains("no Spark master answers"), m);
        assertTrue(seconds < 60, "answered in " + seconds + " s");
        assertFalse(Files.exists(tmp.resolve("out")), "no run folder");
    }

    @Test
    void missingTrainingFile() {
        String m = fails("--train_file", tmp.resolve("nope.txt").toString());
        assertTrue(m.contains("nope.txt") && m.contains("not found"), m);
        assertFalse(Files.exists(tmp.resolve("out")), "no run folder for a run that never started");
    }

    @Test
    void emptyTrainingFile() throws Exception {
        String m = fails("--train_file", file("empty.txt", "\n  \n").toString());
        assertTrue(m.contains("empty.txt") && m.contains("no text"), m);
    }

    @Test
    void csvWithoutTheColumn() throws Exception {
        String m = fails("--train_file", file("d.csv", "title,body\na,b\n").toString());
        assertTrue(m.contains("d.csv") && m.contains("no column 'text'") && m.contains("--text_column"), m);
    }

    @Test
    void csvWithAMalformedRow() throws Exception {
        String m = fails("--train_file", file("bad.csv", "id,text\n1,hello there\n2,one,two\n").toString());
        assertTrue(m.contains("bad.csv") && m.contains("row 2"), m);
    }

    @Test
    void blockSizeLargerThanPositions() throws Exception {
        String m = fails("--train_file", file("t.txt", "hello world\n").toString(), "--block_size", "100000");
        assertTrue(m.contains("config.json") && m.contains("--block_size"), m);
    }

    @Test
    void unknownObjective() throws Exception {
        String m = fails("--train_file", file("t.txt", "hello world\n").toString(), "--objective", "kl");
        assertTrue(m.contains("--objective kl") && m.contains("emo"), m);
    }

    /**
     * Issue #11: with --overwrite_output_dir, a bad flag found after the old run was deleted lost it.
     * Every setting is now checked first: each of these fails with one line and leaves the old run as it was.
     */
    @Test
    void badSettingsLeaveAnOverwritableRunUntouched() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("run.json"), "{\"finished\": true}");
        Files.writeString(out.resolve("metrics.csv"), "step\n1\n");
        String train = file("t.txt", "Once upon a time there was a cat.\n".repeat(20)).toString();
        String[][] bad = {
                {"--gradient_accumulation_steps", "0"}, {"--per_device_train_batch_size", "0"},
                {"--per_device_eval_batch_size", "0"}, {"--learning_rate", "NaN"}, {"--learning_rate", "-1"},
                {"--warmup_ratio", "2"}, {"--max_steps", "-1", "--num_train_epochs", "0"},
                {"--cost_embedding", tmp.resolve("nonexistent").toString()}};
        for (String[] flags : bad) {
            List<String> extra = new ArrayList<>(java.util.Arrays.asList("--train_file", train, "--overwrite_output_dir", null));
            extra.addAll(List.of(flags));
            String m = fails(extra.toArray(String[]::new));
            assertTrue(m.contains(flags[flags.length - 2]) || m.contains("nonexistent"), String.join(" ", flags) + " → " + m);
            assertEquals("{\"finished\": true}", Files.readString(out.resolve("run.json")), String.join(" ", flags) + ": run.json kept");
            assertEquals("step\n1\n", Files.readString(out.resolve("metrics.csv")), String.join(" ", flags) + ": metrics.csv kept");
        }
    }

    @Test
    void validationSplitOutsideOneToNinetyNine() throws Exception {
        Path train = file("t.txt", "Once upon a time there was a cat.\n".repeat(20));
        CliRun r = CliRun.of("finetune", "--model", Fixtures.model("stories260k").toString(), "--train_file", train.toString(),
                "--output_dir", tmp.resolve("out2").toString(), "--max_steps", "1", "--block_size", "16",
                "--validation_split_percentage", "150");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().strip().lines().reduce((a, b) -> b).orElse("").contains("--validation_split_percentage 150"), r.err());
        assertFalse(Files.exists(tmp.resolve("out2")), "no folder created");
    }

    @Test
    void outputDirHoldingAnotherRun() throws Exception {
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("out/run.json"), "{}");
        String m = fails("--train_file", file("t.txt", "Once upon a time there was a cat.\n".repeat(20)).toString());
        assertTrue(m.contains("already holds a run") && m.contains("--overwrite_output_dir"), m);
        assertEquals("{}", Files.readString(tmp.resolve("out/run.json")), "the other run is untouched");
    }

    @Test
    void corruptCheckpointOnResume() throws Exception {
        Path ckpt = tmp.resolve("out/checkpoint-3");
        Files.createDirectories(ckpt);
        Files.writeString(tmp.resolve("out/run.json"), "{}");
        Files.writeString(ckpt.resolve("trainer_state.json"), "{ not json");
        String m = fails("--train_file", file("t.txt", "Once upon a time there was a cat.\n".repeat(20)).toString(),
                "--resume_from_checkpoint", "latest");
        assertTrue(m.contains("checkpoint-3") && m.contains("corrupt"), m);
    }

    @Test
    void divergingLossStopsAndNamesTheStep() throws Exception {
        String m = fails("--train_file", file("t.txt", "Once upon a time there was a cat.\n".repeat(40)).toString(),
                "--learning_rate", "1e30", "--max_grad_norm", "0", "--max_steps", "4", "--save_steps", "1",
                "--per_device_train_batch_size", "2");
        assertTrue(m.contains("loss became") && m.contains("at step") && m.contains("checkpoint"), m);
    }

    // ---- issue #21: wrong successes and stack traces, each now one line before anything is written ----

    /** FT of the issue: stories260k, a small training and validation file, 3 steps, block 32, batch 2. */
    private String[] ft(String... extra) throws Exception {
        Path train = Files.exists(tmp.resolve("T.txt")) ? tmp.resolve("T.txt") : file("T.txt", "Once upon a time there was a cat.\n".repeat(40));
        List<String> args = new ArrayList<>(List.of("finetune", "--model", Fixtures.model("stories260k").toString(), "--train_file", train.toString(),
                "--validation_file", train.toString(), "--max_steps", "3", "--block_size", "32", "--per_device_train_batch_size", "2",
                "--eval_steps", "2", "--max_eval_samples", "8", "--output_dir", tmp.resolve("out").toString()));
        for (int i = 0; i < extra.length; i += 2) {   // a flag given here replaces FT's value
            int at = args.indexOf(extra[i]);
            if (at >= 0) args.set(at + 1, extra[i + 1]);
            else args.addAll(List.of(extra[i], extra[i + 1]));
        }
        return args.toArray(String[]::new);
    }

    /** FT with {@code extra} is refused (exit 2, one line, the disk as it was) with a line holding each of {@code parts}. */
    private void refusedSaying(String[] extra, String... parts) throws Exception {
        String m = CliRun.refused(tmp, ft(extra));
        for (String part : parts) assertTrue(m.contains(part), "'" + part + "' in: " + m);
    }

    @Test
    void loraOptionsWithoutARankAndSparkExecutorsWithoutAMasterAreRefused() throws Exception {
        refusedSaying(new String[]{"--lora_alpha", "16", "--lora_dropout", "0.5"}, "--lora_alpha, --lora_dropout", "--lora_r");
        refusedSaying(new String[]{"--merge_lora", "false"}, "--merge_lora", "without --lora_r");
        refusedSaying(new String[]{"--spark_executors", "-3"}, "--spark_executors -3", "at least 1");
        refusedSaying(new String[]{"--spark_executors", "2"}, "--spark_executors 2", "without --spark_master");
    }

    @Test
    void ranksBeyondTheLayersAndDuplicateTargetsAreRefused() throws Exception {
        refusedSaying(new String[]{"--lora_r", "2147483647"}, "config.json", "--lora_r 2147483647", "width 64");
        refusedSaying(new String[]{"--lora_r", "100000"}, "--lora_r 100000", "or less");
        // ≤ hidden 64, but v_proj is 64 × 32 (4 key/value heads of 8)
        refusedSaying(new String[]{"--lora_r", "48"}, "--lora_r 48", "width 32 of v_proj", "--lora_r 32 or less");
        refusedSaying(new String[]{"--lora_r", "4", "--lora_target_modules", "q_proj,q_proj"}, "--lora_target_modules q_proj,q_proj", "twice");
    }

    /** These left run.json and run.lock behind with a stack trace: now refused before the folder exists. */
    @Test
    void memorySizedProductsAreRefusedBeforeTheRunFolderIsWritten() throws Exception {
        refusedSaying(new String[]{"--gradient_accumulation_steps", "1000000000"}, "--gradient_accumulation_steps 1000000000", "memory", "or less");
        // FT's block 32: about 68 GB of activations, more than this machine's (skipped on one with more); block 512: more than any
        if (dev.emo.util.MemoryBudget.physicalBytes() < 64e9) {
            refusedSaying(new String[]{"--per_device_train_batch_size", "100000"}, "--per_device_train_batch_size 100000", "memory", "or less");
        }
        refusedSaying(new String[]{"--per_device_train_batch_size", "100000", "--block_size", "512"}, "--per_device_train_batch_size 100000",
                "--block_size 512", "memory", "or less");
        assertFalse(Files.exists(tmp.resolve("out")), "no run folder");
    }

    @Test
    void outputDirThatIsTheModelsOwnFolderIsRefused() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        try (var files = Files.list(Fixtures.model("stories260k"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, model.resolve(f.getFileName().toString()));
        }
        List<String> args = new ArrayList<>(List.of(ft()));
        args.set(args.indexOf("--model") + 1, model.toString());
        args.set(args.indexOf("--output_dir") + 1, model.toString());
        String m = CliRun.refused(tmp, args.toArray(String[]::new));
        assertTrue(m.contains("model's own folder") && m.contains("--output_dir"), m);
        args.set(args.indexOf("--model") + 1, Fixtures.model("stories260k").toString());
        m = CliRun.refused(tmp, args.toArray(String[]::new));
        assertTrue(m.contains("holds a model"), m);
    }

    /** A port that speaks HTTP (a master's web page) is named at once, not after Spark's minute of retries. */
    @Test
    void sparkMasterAtAnHttpPort() throws Exception {
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        http.start();
        try {
            long t0 = System.nanoTime();
            String m = CliRun.refused(tmp, ft("--spark_master", "spark://127.0.0.1:" + http.getAddress().getPort()));
            assertTrue(m.contains("HTTP") && m.contains("7077"), m);
            assertTrue((System.nanoTime() - t0) / 1e9 < 20, "answered at once");
        } finally {
            http.stop(0);
        }
    }
}
