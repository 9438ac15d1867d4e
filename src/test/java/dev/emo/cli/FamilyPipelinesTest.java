package dev.emo.cli;

import dev.emo.SharedData;
import dev.emo.onnx.OnnxFiles;
import dev.emo.onnx.OnnxWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every pipeline on each folder of {@code ../shared/families/} (Llama 3, Qwen2, Qwen3, Mistral), as a
 * user runs them: verify; finetune, full and with LoRA (PEFT's default targets), whose best/ verifies
 * and keeps the export's position_ids input; generate with the KV cache; evaluate; icl.
 */
@Tag("slow")   // left out of ./run.sh test --fast
class FamilyPipelinesTest {
    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyPipelineRunsOnEachFamily() throws IOException {
        Path families = SharedData.families(), ptb = SharedData.data().resolve("ptb");
        Assumptions.assumeTrue(Files.isDirectory(families), SharedData.missingMessage("families/"));
        Assumptions.assumeTrue(Files.isRegularFile(ptb.resolve("ptb.train.txt")), SharedData.missingMessage("data/ptb"));
        List<Path> dirs;
        try (Stream<Path> s = Files.list(families)) {
            dirs = s.filter(d -> Files.isRegularFile(d.resolve("config.json"))).sorted().toList();
        }
        Assumptions.assumeFalse(dirs.isEmpty(), SharedData.missingMessage("families/*/config.json"));
        // a small corpus: the first 300 PTB lines to train on, 60 to validate
        Path train = Files.write(tmp.resolve("train.txt"), Files.readAllLines(ptb.resolve("ptb.train.txt")).subList(0, 300));
        Path valid = Files.write(tmp.resolve("valid.txt"), Files.readAllLines(ptb.resolve("ptb.valid.txt")).subList(0, 60));
        return dirs.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir, train, valid, ptb)));
    }

    private void check(Path model, Path train, Path valid, Path ptb) throws IOException {
        String name = model.getFileName().toString();
        ok("verify", "--model", model.toString());
        for (String variant : new String[] {"full", "lora"}) {
            Path out = tmp.resolve(name + "-" + variant);
            List<String> args = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--train_file", train.toString(),
                    "--validation_file", valid.toString(), "--max_steps", "2", "--block_size", "16", "--per_device_train_batch_size", "2",
                    "--eval_steps", "2", "--max_eval_samples", "4", "--output_dir", out.toString()));
            if (variant.equals("lora")) args.addAll(List.of("--lora_r", "4"));
            ok(args.toArray(String[]::new));
            Path best = out.resolve("best");
            ok("verify", "--model", best.toString());
            var inputs = OnnxWeights.read(OnnxFiles.find(best)).model().getGraph().getInputList().stream().map(i -> i.getName()).toList();
            assertTrue(inputs.contains("position_ids"), name + " " + variant + ": best/ keeps the export's inputs " + inputs);
        }
        String generated = ok("generate", "--model", model.toString(), "--prompt", "the company said", "--max_new_tokens", "6");
        assertTrue(!generated.isBlank(), "generate printed the continuation");
        Path eval = tmp.resolve(name + "-evaluate");
        ok("evaluate", "--model", model.toString(), "--data", ptb.resolve("ptb.test.txt").toString(), "--protocol", "ptb", "--limit", "4",
                "--rounds", "1", "--new_tokens", "6", "--featurizer", "self", "--max_perplexity_texts", "20", "--output_dir", eval.toString());
        assertTrue(Files.isRegularFile(eval.resolve("evaluation.json")));
        ok("icl", "--model", model.toString(), "--retriever", "tfidf", "--tasks", "sst2", "--limit", "2", "--ice_num", "2",
                "--output_dir", tmp.resolve(name + "-icl").toString());
    }

    /** Runs a command that must succeed; returns what it printed. */
    private static String ok(String... command) {
        CliRun r = CliRun.of(command);
        assertEquals(0, r.code(), String.join(" ", command) + "\n" + r.err());
        return r.out();
    }
}
