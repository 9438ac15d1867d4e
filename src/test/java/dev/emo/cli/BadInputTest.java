package dev.emo.cli;

import dev.emo.Fixtures;
import dev.emo.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #11's rows outside finetune: each bad input is one line `error: …` with exit 2, before any
 * model work that could crash the JVM or waste the user's time, and the disk is as it was.
 */
class BadInputTest {
    @TempDir
    Path tmp;

    private String refused(String... command) throws IOException {
        return CliRun.refused(tmp, command);
    }

    private Path modelWithConfig(String field, String value) throws IOException {
        Path src = Fixtures.model("stories260k"), dir = Files.createDirectories(tmp.resolve("model-" + field));
        try (var files = Files.list(src)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, dir.resolve(f.getFileName().toString()));
        }
        String config = Files.readString(dir.resolve("config.json")).replaceAll("\"" + field + "\"\\s*:\\s*[0-9.e-]+", "\"" + field + "\": " + value);
        assertTrue(config.contains("\"" + field + "\": " + value), config);
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    @Test
    void zeroPositionsInConfigIsAnErrorNotACrash() throws IOException {
        Path model = modelWithConfig("max_position_embeddings", "0");
        String m = refused("verify", "--model", model.toString());
        assertTrue(m.contains("config.json") && m.contains("max_position_embeddings is 0"), m);
        m = refused("finetune", "--model", model.toString(), "--train_file", model.resolve("config.json").toString(),
                "--output_dir", tmp.resolve("out").toString());
        assertTrue(m.contains("max_position_embeddings is 0"), m);
        m = refused("generate", "--model", model.toString(), "--prompt", "Once");
        assertTrue(m.contains("max_position_embeddings is 0"), m);
    }

    @Test
    void zeroHeadsInConfig() throws IOException {
        Path model = modelWithConfig("num_attention_heads", "0");
        assertTrue(refused("verify", "--model", model.toString()).contains("attention heads is 0"));
    }

    @Test
    void verifyZeroSizes() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        assertTrue(refused("verify", "--model", model, "--batch", "0").contains("--batch 0"));
        assertTrue(refused("verify", "--model", model, "--length", "0").contains("--length 0"));
    }

    @Test
    void generatePromptLongerThanThePositions() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        String m = refused("generate", "--model", model, "--prompt", "Once upon a time there was a cat. ".repeat(80));
        assertTrue(m.contains("config.json") && m.contains("512 positions") && m.contains("shorten the prompt"), m);
        m = refused("generate", "--model", model, "--prompt", "Once", "--max_new_tokens", "100000");
        assertTrue(m.contains("--max_new_tokens 100000") && m.contains("or less"), m);
        assertTrue(refused("generate", "--model", model, "--max_new_tokens", "0").contains("--max_new_tokens 0"));
    }

    @Test
    void samplingFlagsOutOfRange() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        assertTrue(refused("generate", "--model", model, "--do_sample", "--temperature", "0").contains("--temperature 0"));
        assertTrue(refused("generate", "--model", model, "--do_sample", "--top_p", "1.5").contains("--top_p 1.5"));
        assertTrue(refused("generate", "--model", model, "--do_sample", "--top_k", "-1").contains("--top_k -1"));
    }

    @Test
    void evaluateIntoAFileIsRefusedBeforeSampling() throws IOException {
        Path file = Files.writeString(tmp.resolve("report.txt"), "mine");
        String m = refused("evaluate", "--model", Fixtures.model("stories260k").toString(), "--limit", "2", "--output_dir", file.toString());
        assertTrue(m.contains("report.txt") && m.contains("is a file"), m);
    }

    @Test
    void evaluateWithAReferenceModelOfAnotherVocabulary() throws IOException {
        Path ptb = SharedData.data().resolve("ptb").resolve("ptb.test.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(ptb), SharedData.missingMessage("data/ptb/ptb.test.txt"));
        String m = refused("evaluate", "--model", Fixtures.model("stories260k").toString(), "--reference_model",
                Fixtures.model("tiny-gpt2").toString(), "--limit", "2", "--featurizer", "self", "--output_dir", tmp.resolve("eval").toString());
        assertTrue(m.contains("tiny-gpt2") && m.contains("vocabulary"), m);
    }

    @Test
    void compareWithAnUnknownObjectiveTrainsNothing() throws IOException {
        Fixtures.model("stories260k");
        String m = refused("compare", "--objectives", "mle,bogus", "--seeds", "1", "--output_dir", tmp.resolve("cmp").toString(),
                "--max_steps", "1");
        assertTrue(m.contains("bogus"), m);
    }

    @Test
    void loraSettingsOutOfRangeOrNamingNoLayer() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        Path train = Files.writeString(tmp.resolve("t.txt"), "Once upon a time there was a cat.\n".repeat(20));
        String out = tmp.resolve("out").toString();
        assertTrue(refused("finetune", "--model", model, "--train_file", train.toString(), "--output_dir", out, "--lora_r", "-1").contains("--lora_r -1"));
        assertTrue(refused("finetune", "--model", model, "--train_file", train.toString(), "--output_dir", out, "--lora_r", "8",
                "--lora_dropout", "1").contains("--lora_dropout 1"));
        String m = refused("finetune", "--model", model, "--train_file", train.toString(), "--output_dir", out, "--lora_r", "8",
                "--lora_target_modules", "q_proj,c_attn");
        assertTrue(m.contains("--lora_target_modules c_attn") && m.contains("q_proj"), m);
        m = refused("generate", "--model", model, "--adapter", tmp.toString());
        assertTrue(m.contains("not a PEFT adapter folder"), m);
    }

    @Test
    void oracleAndStudentWithDifferentVocabulariesBeforeAnySampling() throws IOException {
        String m = refused("oracle", "--oracle_model", Fixtures.model("stories260k").toString(), "--model", Fixtures.model("tiny-gpt2").toString(),
                "--output_dir", tmp.resolve("oracle").toString(), "--max_steps", "1");
        assertTrue(m.contains("tiny-gpt2") && m.contains("vocabulary") && m.contains("oracle's"), m);
    }

    @Test
    void benchZeroSizes() throws IOException {
        assertTrue(refused("bench", "--batch", "0").contains("--batch 0"));
        assertTrue(refused("bench", "--what", "train", "--micro_batch", "3").contains("--micro_batch 3"));
    }

    @Test
    void benchLengthBeyondTheModelsPositionsIsRefusedNotACrash() throws IOException {
        String m = refused("bench", "--what", "forward", "--arch", "gpt2-small", "--batch", "1", "--length", "1100");
        assertTrue(m.contains("--length 1100") && m.contains("1024 positions") && m.contains("--length 1024 or less"), m);
        m = refused("bench", "--length", "1000000");
        assertTrue(m.contains("--length 1000000") && m.contains("positions"), m);
        m = refused("bench", "--what", "generate", "--arch", "gpt2-small", "--length", "1000", "--new_tokens", "32");
        assertTrue(m.contains("--new_tokens 32") && m.contains("--length 992 or less"), m);
        m = refused("bench", "--what", "train", "--arch", "gpt2-small", "--batch", "100000", "--length", "1024");
        assertTrue(m.contains("--batch 100000") && m.contains("memory"), m);
    }

    @Test
    void benchJsonIntoAMissingFolderIsRefusedBeforeTheBenchmark() throws IOException {
        String m = refused("bench", "--what", "train", "--json", tmp.resolve("missing").resolve("train.json").toString());
        assertTrue(m.contains("missing") && m.contains("--json"), m);
        m = refused("bench", "--what", "train", "--objectives", "mle,mle");
        assertTrue(m.contains("--objectives mle,mle") && m.contains("twice"), m);
        m = refused("bench", "--what", "train", "--lora_r", "100000");
        assertTrue(m.contains("--lora_r 100000") && m.contains("--lora_r 768 or less"), m);
        m = refused("icl", "--model", Fixtures.model("stories260k").toString(), "--tasks", "sst2,sst2");
        assertTrue(m.contains("--tasks sst2,sst2") && m.contains("twice"), m);
    }

    /**
     * Two samples into one --output interleaved every sample twice: the second is now refused naming the
     * first's pid, and the first's file is what an uninterrupted run writes.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")   // two sampling runs: ~20 s on 2 busy cores
    void aSecondSampleIntoTheSameOutputIsRefusedWhileTheFirstWrites() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("corpus")), out = dir.resolve("s.txt");
        String model = Fixtures.model("stories260k").toString();
        java.util.function.Function<Path, String[]> cmd = o -> new String[]{"sample", "--model", model, "--num_samples", "6",
                "--max_new_tokens", "12", "--batch_size", "2", "--output", o.toString()};
        java.util.List<String> refusals = new java.util.ArrayList<>();
        dev.emo.jobs.SampleJob.prepare(new dev.emo.jobs.SampleJob.Settings(Fixtures.model("stories260k"), null, 6, 12, 2, 42,
                new dev.emo.generation.Sampling(false, 1.0, 0, 1.0), null, out)).run((done, total) -> {
            if (done == 2) {   // the first has written its first batch and holds the lock: the second comes now
                try {
                    refusals.add(refused(cmd.apply(out)));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        assertTrue(refusals.size() == 1 && refusals.get(0).contains("another sample is writing to it")
                && refusals.get(0).contains("pid " + ProcessHandle.current().pid()), refusals.toString());
        Path alone = Files.createDirectories(tmp.resolve("alone")).resolve("s.txt");
        org.junit.jupiter.api.Assertions.assertEquals(0, CliRun.of(cmd.apply(alone)).code());
        org.junit.jupiter.api.Assertions.assertEquals(Files.readString(alone), Files.readString(out), "as one uninterrupted run writes it");
    }

    @Test
    void lengthsBeyondThePositionsAreRefusedNotClampedOrOversampled() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        String m = refused("verify", "--model", model, "--length", "100000");
        assertTrue(m.contains("config.json") && m.contains("--length 100000") && m.contains("512 positions") && m.contains("--length 512 or less"), m);
        Path ptb = SharedData.data().resolve("ptb").resolve("ptb.test.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(ptb), SharedData.missingMessage("data/ptb/ptb.test.txt"));
        m = refused("evaluate", "--model", model, "--new_tokens", "600", "--limit", "2", "--output_dir", tmp.resolve("eval").toString());
        assertTrue(m.contains("--new_tokens 600") && m.contains("512 positions") && m.contains("or less"), m);
    }

    /** An evaluation folder holding another model's results was silently replaced. */
    @Test
    void evaluateIntoAFolderHoldingAnotherModelsEvaluation() throws IOException {
        Path ptb = SharedData.data().resolve("ptb").resolve("ptb.test.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(ptb), SharedData.missingMessage("data/ptb/ptb.test.txt"));
        Path eval = Files.createDirectories(tmp.resolve("eval"));
        Files.writeString(eval.resolve("evaluation.json"), "{\"model\": \"runs/gpt2-emo/best\", \"settings\": \"x\"}");
        String m = refused("evaluate", "--model", Fixtures.model("stories260k").toString(), "--limit", "2", "--output_dir", eval.toString());
        assertTrue(m.contains("another model (runs/gpt2-emo/best)") && m.contains("--overwrite_output_dir"), m);
    }

    /** One run named twice was counted twice in compare.csv (sd 0), replacing a valid earlier table. */
    @Test
    void compareAndOracleWithAValueNamedTwice() throws IOException {
        Path cmp = Files.createDirectories(tmp.resolve("cmp"));
        Files.writeString(cmp.resolve("compare.csv"), "objective,runs\nmle,2\n");
        String m = refused("compare", "--objectives", "mle,emo", "--seeds", "1,1", "--output_dir", cmp.toString(), "--max_steps", "1");
        assertTrue(m.contains("--seeds 1,1") && m.contains("twice"), m);
        m = refused("compare", "--objectives", "mle,mle", "--seeds", "1", "--output_dir", cmp.toString(), "--max_steps", "1");
        assertTrue(m.contains("--objectives mle,mle") && m.contains("twice"), m);
        String model = Fixtures.model("stories260k").toString();
        m = refused("oracle", "--oracle_model", model, "--model", model, "--seeds", "2,2", "--output_dir", tmp.resolve("o").toString());
        assertTrue(m.contains("--seeds 2,2"), m);
        m = refused("oracle", "--oracle_model", model, "--model", model, "--sample_tokens", "4", "--output_dir", tmp.resolve("o").toString());
        assertTrue(m.contains("--sample_tokens 4") && m.contains("ptb") && m.contains("or more"), m);
    }

    /** A rank-4 adapter on stories260k's q/v projections, recording {@code baseSha256}; {@code poison}: one NaN in it. */
    private Path adapter(String name, String baseSha256, boolean poison) throws IOException {
        var loaded = dev.emo.registry.Models.load(Fixtures.model("stories260k"), new dev.emo.models.GraphOptions(false,
                new dev.emo.models.LoraSpec(4, 8, 0, java.util.List.of("q_proj", "v_proj"))));
        loaded.model().initLora(new java.util.Random(1));
        if (poison) loaded.model().loraParams().values().iterator().next().getArr().putScalar(0, Float.NaN);
        Path dir = tmp.resolve(name);
        dev.emo.registry.PeftAdapter.write(loaded.model(), "/elsewhere/base", baseSha256, dir);
        return dir;
    }

    @Test
    void anAdapterOfAnotherBaseOrWithNaNWeightsIsRefusedAtLoad() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        String own = dev.emo.util.Hashes.sha256(Fixtures.model("stories260k").resolve("model.onnx"));
        Path other = adapter("other-base", "ab".repeat(32), false);
        String m = refused("generate", "--model", model, "--adapter", other.toString(), "--max_new_tokens", "2");
        assertTrue(m.contains("adapter_config.json") && m.contains("another base (/elsewhere/base") && m.contains("--allow_other_base"), m);
        CliRun allowed = CliRun.of("generate", "--model", model, "--adapter", other.toString(), "--max_new_tokens", "2", "--allow_other_base");
        org.junit.jupiter.api.Assertions.assertEquals(0, allowed.code(), allowed.err());
        Path nan = adapter("nan", own, true);
        m = refused("generate", "--model", model, "--adapter", nan.toString(), "--max_new_tokens", "2");
        assertTrue(m.contains("adapter_model.safetensors") && m.contains("NaN"), m);
    }

    /**
     * Issue #21: every command that loaded ONNX Runtime left ~/.cache/Microsoft/DeveloperTools/.onnxruntime/,
     * /tmp/mat-debug-PID.log and an empty /tmp/onnxruntime-javaN/. A verify (ORT and SameDiff) in a JVM
     * started as the tests start them, with HOME and the temp directory pointed at empty folders, leaves
     * both empty; ORT's libraries are under $EMO_HOME.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")   // a JVM of its own: ~15 s
    void onnxRuntimeLeavesNothingInTheHomeCachesOrTheTempDirectory() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home")), temp = Files.createDirectories(tmp.resolve("temp")), emo = tmp.resolve("emo");
        java.util.List<String> cmd = dev.emo.ChildJvm.main();
        cmd.add(1, "-Djava.io.tmpdir=" + temp);
        cmd.addAll(java.util.List.of("verify", "--model", Fixtures.model("stories260k").toString(), "--length", "8"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().putAll(java.util.Map.of("HOME", home.toString(), "TMPDIR", temp.toString(), "EMO_HOME", emo.toString()));
        org.junit.jupiter.api.Assertions.assertEquals(0, pb.start().waitFor(), Files.readString(tmp.resolve("child.log")));
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of("", "dir"), DiskSnapshot.of(home), "nothing under HOME");
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of("", "dir"), DiskSnapshot.of(temp), "nothing left in the temp directory");
        assertTrue(Files.isRegularFile(emo.resolve("native").resolve("onnxruntime-1.29.0").resolve("libonnxruntime.so")), "ORT's libraries in $EMO_HOME");
    }

    /** Issue #21's wrong messages: each names the flag that is wrong and a fix that works. */
    @Test
    void messagesNameTheRightFlagAndAFixThatWorks() throws IOException {
        String model = Fixtures.model("stories260k").toString(), out = tmp.resolve("s.txt").toString();
        String m = refused("sample", "--model", model, "--num_samples", "2", "--prompts", tmp.resolve("nope.txt").toString(), "--output", out);
        assertTrue(m.contains("nope.txt: not found") && m.contains("--prompts") && !m.contains("train"), m);
        Path longPrompt = Files.writeString(tmp.resolve("prompts.txt"), "short\n" + "Once upon a time there was a cat. ".repeat(80) + "\n");
        m = refused("sample", "--model", model, "--num_samples", "2", "--prompts", longPrompt.toString(), "--output", out);
        assertTrue(m.contains("line 2") && m.contains("shorten the prompts to at most 511 tokens") && !m.contains("--max_new_tokens"), m);
        m = refused("icl", "--model", model, "--data_dir", tmp.resolve("no-data").toString());
        assertTrue(m.contains("no-data: not found") && m.contains("--data_dir") && !m.contains("set EMO_SHARED"), m);
    }

    /** A checkpoint folder (Hugging Face safetensors) of stories260k with one NaN weight: refused at load, naming the tensor. */
    @Test
    void modelWeightsWithNaNAreRefusedAtLoad() throws IOException {
        Path fixture = Fixtures.model("stories260k"), dir = Files.createDirectories(tmp.resolve("nan-model"));
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> weights = new java.util.LinkedHashMap<>(dev.emo.registry.Models.load(fixture).model().weights());
        String poisoned = weights.keySet().iterator().next();
        weights.put(poisoned, weights.get(poisoned).dup().putScalar(0, Float.NaN));
        dev.emo.onnx.ModelFolderWriter.copySideFiles(fixture, dir);
        dev.emo.safetensors.SafeTensors.write(dir.resolve("model.safetensors"), weights, java.util.Map.of("format", "pt"));
        String m = refused("generate", "--model", dir.toString(), "--max_new_tokens", "2");
        assertTrue(m.contains("model.safetensors") && m.contains(poisoned) && m.contains("NaN"), m);
    }

    /** A finetune option refused only when compare's first run is prepared: the compare folder (and its lock) is not left behind. */
    @Test
    void compareWhoseFirstRunIsRefusedLeavesNoFolder() throws IOException {
        Fixtures.model("stories260k");
        String m = refused("compare", "--objectives", "mle", "--seeds", "1", "--output_dir", tmp.resolve("cmp").toString(), "--max_steps", "1",
                "--lora_r", "100000", "--featurizer", "self");
        assertTrue(m.contains("--lora_r 100000"), m);
    }

    /** An evaluation or comparison folder another command is writing to is refused naming it, before any work. */
    @Test
    void evaluateAndCompareIntoAFolderInUseAreRefusedNamingTheHolder() throws Exception {
        Path ptb = SharedData.data().resolve("ptb").resolve("ptb.test.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(ptb), SharedData.missingMessage("data/ptb/ptb.test.txt"));
        Path eval = Files.createDirectories(tmp.resolve("eval")), cmp = Files.createDirectories(tmp.resolve("cmp"));
        String pid = "pid " + ProcessHandle.current().pid();
        try (var held = dev.emo.util.OutputLock.acquire(eval.resolve(dev.emo.jobs.EvaluationJob.LOCK));
             var held2 = dev.emo.util.OutputLock.acquire(cmp.resolve(dev.emo.jobs.CompareJob.LOCK))) {
            String m = refused("evaluate", "--model", Fixtures.model("stories260k").toString(), "--limit", "2", "--output_dir", eval.toString());
            assertTrue(m.contains("another evaluation is writing to it") && m.contains(pid), m);
            m = refused("compare", "--objectives", "mle", "--seeds", "1", "--output_dir", cmp.toString(), "--max_steps", "1");
            assertTrue(m.contains("another compare is writing to it") && m.contains(pid), m);
        } catch (dev.emo.util.OutputLock.Busy b) {
            throw new AssertionError(b.getMessage());
        }
    }

    @Test
    void aMistypedFlagIsOneLineWithASuggestion() throws IOException {
        String m = refused("finetune", "--learning_rte", "1e-4");
        assertTrue(m.contains("--learning_rte") && m.contains("--learning_rate") && m.contains("--help"), m);
    }
}
