package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.registry.ModelFamilies;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./run.sh tokenize} through the command line: the masks, packing, truncation, counts, and the refusals. */
class TokenizeCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static String resource(String name) {
        try {
            return Path.of(TokenizeCommandTest.class.getResource("/instruction/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    List<JsonNode> tokenize(Path model, String file, String... more) throws IOException {
        Path out = tmp.resolve("out.jsonl");
        List<String> args = new ArrayList<>(List.of("tokenize", "--model", model.toString(), "--file", resource(file), "--output", out.toString()));
        args.addAll(List.of(more));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        lastOut = r.out();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out)) rows.add(JSON.readTree(line));
        return rows;
    }

    String lastOut;

    static int[] ints(JsonNode array) {
        return JSON.convertValue(array, int[].class);
    }

    /** The runs of consecutive trained labels (label == input id), each as its ids. */
    static List<List<Integer>> trainedRuns(JsonNode row) {
        int[] ids = ints(row.get("input_ids")), labels = ints(row.get("labels"));
        List<List<Integer>> runs = new ArrayList<>();
        List<Integer> run = null;
        for (int i = 0; i < ids.length; i++) {
            if (labels[i] == -100) {
                run = null;
                continue;
            }
            assertEquals(ids[i], labels[i], "a trained label is its input id");
            if (run == null) runs.add(run = new ArrayList<>());
            run.add(ids[i]);
        }
        return runs;
    }

    static List<Integer> ids(Tokenizer tok, String text) {
        return IntStream.of(tok.encode(text, false)).boxed().toList();
    }

    @Test
    void chatLabelsAreMaskedExactlyOutsideTheAssistantSpans() throws IOException {
        Path qwen = Fixtures.model("tiny-qwen3");
        Tokenizer tok = ModelFamilies.tokenizer(qwen);
        List<JsonNode> rows = tokenize(qwen, "chat.jsonl");
        assertEquals(2, rows.size());
        assertEquals(List.of(ids(tok, "<think>\n\n</think>\n\n4.<|im_end|>")), trainedRuns(rows.get(0)));
        assertEquals(List.of(ids(tok, "« chat » — le même mot.<|im_end|>"), ids(tok, "<think>\n\n</think>\n\nKatze.<|im_end|>")), trainedRuns(rows.get(1)));
        for (JsonNode row : rows) assertArrayEquals(IntStream.range(0, row.get("input_ids").size()).toArray(), ints(row.get("position_ids")));
        int trained = rows.stream().mapToInt(r -> trainedRuns(r).stream().mapToInt(List::size).sum()).sum();
        assertTrue(lastOut.contains("examples       2") && lastOut.contains("trained tokens " + trained) && lastOut.contains("truncated      0"), lastOut);
    }

    @Test
    void promptCompletionLabelsAreMaskedExactlyOnThePrompt() throws IOException {
        Path llama = Fixtures.model("tiny-llama3");
        Tokenizer tok = ModelFamilies.tokenizer(llama);
        JsonNode row = tokenize(llama, "prompt_completion.jsonl").get(0);
        int prompt = tok.encode("Q: What is 2+2?\nA:").length;
        int[] ids = ints(row.get("input_ids")), labels = ints(row.get("labels"));
        for (int i = 0; i < ids.length; i++) assertEquals(i < prompt ? -100 : ids[i], labels[i], "label " + i);
        assertEquals(ids(tok, " 4<|eot_id|>"), trainedRuns(row).get(0));
        row = tokenize(llama, "prompt_completion.jsonl", "--completion_only_loss", "false").get(0);
        assertEquals(-100, ints(row.get("labels"))[0], "the first token: nothing predicts it");
        assertArrayEquals(java.util.Arrays.copyOfRange(ids, 1, ids.length), java.util.Arrays.copyOfRange(ints(row.get("labels")), 1, ids.length));
    }

    @Test
    void packingConcatenatesExamplesAndRestartsPositions() throws IOException {
        Path qwen = Fixtures.model("tiny-qwen3");
        List<JsonNode> single = tokenize(qwen, "chat.jsonl", "--block_size", "256");
        String singleOut = lastOut;
        List<JsonNode> packed = tokenize(qwen, "chat.jsonl", "--block_size", "256", "--packing");
        assertEquals(1, packed.size(), "two short conversations share one row");
        int n0 = single.get(0).get("input_ids").size(), n1 = single.get(1).get("input_ids").size();
        int[] positions = IntStream.concat(IntStream.range(0, n0), IntStream.range(0, n1)).toArray();
        assertArrayEquals(positions, ints(packed.get(0).get("position_ids")));
        for (String field : List.of("input_ids", "labels")) {
            int[] both = IntStream.concat(IntStream.of(ints(single.get(0).get(field))), IntStream.of(ints(single.get(1).get(field)))).toArray();
            assertArrayEquals(both, ints(packed.get(0).get(field)), field);
        }
        assertTrue(lastOut.contains("packed rows    1 (block 256)"), lastOut);
        assertEquals(line(singleOut, "trained tokens"), line(lastOut, "trained tokens"));
        // a block shorter than the longest conversation: that one is cut, and each goes in its own row
        List<JsonNode> cut = tokenize(qwen, "chat.jsonl", "--block_size", String.valueOf(n0), "--packing");
        assertEquals(2, cut.size());
        assertEquals(n0, cut.get(1).get("input_ids").size());
        assertTrue(lastOut.contains("truncated      " + (n1 > n0 ? 1 : 0)), lastOut);
    }

    static String line(String out, String start) {
        return out.lines().filter(l -> l.startsWith(start)).findFirst().orElse("");
    }

    @Test
    void badInputIsOneLineExitTwoAndNothingWritten() throws IOException {
        String llama = Fixtures.model("tiny-llama3").toString();
        Path out = Files.writeString(tmp.resolve("out.jsonl"), "an earlier output\n");
        String o = out.toString();
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("unknown_role.jsonl"), "--output", o).contains(":2: messages[0] has role 'narrator'"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("last_not_assistant.jsonl"), "--output", o).contains("the last message is the user's"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("empty_completion.jsonl"), "--output", o).contains(":2: \"completion\" is empty"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("alternating.jsonl"), "--chat_template", resource("raises.jinja"),
                "--output", o).contains(":2: the chat template refuses the conversation: Conversation roles must alternate"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("mixed.jsonl"), "--output", o).contains(":2: a {\"messages\"} line"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("chat.jsonl"), "--block_size", "100000", "--output", o)
                .contains("--block_size 100000 does not fit the model's"));
        assertTrue(CliRun.refused(tmp, "tokenize", "--model", llama, "--file", resource("chat.jsonl"), "--output", tmp.toString()).contains("is a folder"));
    }
}
