package dev.emo.cli;

import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * finetune refuses bad instruction data before its run folder exists: one line {@code error: FILE:LINE: …},
 * exit 2, nothing written (CliRun.refused compares the whole temporary folder before and after).
 */
class InstructionFinetuneInputTest {
    @TempDir
    Path tmp;

    private static final String USER = "{\"role\": \"user\", \"content\": \"Hi\"}", ASSISTANT = "{\"role\": \"assistant\", \"content\": \"Hello.\"}";

    private String refused(String name, String lines, String... more) throws IOException {
        Path file = Files.writeString(tmp.resolve(name), lines);
        Path out = tmp.resolve("run");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("finetune", "--model", Fixtures.model("tiny-qwen3").toString(),
                "--train_file", file.toString(), "--max_steps", "1", "--block_size", "32", "--output_dir", out.toString()));
        args.addAll(java.util.List.of(more));
        String line = CliRun.refused(tmp, args.toArray(String[]::new));
        assertFalse(Files.exists(out), "no run folder");
        return line;
    }

    private static String chat(String... messages) {
        return "{\"messages\": [" + String.join(", ", messages) + "]}\n";
    }

    @Test
    void badLinesAreNamedByFileAndLine() throws IOException {
        String ok = chat(USER, ASSISTANT);
        String unknown = refused("role.jsonl", ok + chat(USER, "{\"role\": \"robot\", \"content\": \"x\"}"));
        assertTrue(unknown.startsWith("error: " + tmp.resolve("role.jsonl") + ":2: messages[1] has role 'robot'"), unknown);
        String last = refused("last.jsonl", ok + ok + chat(USER, ASSISTANT, USER));
        assertTrue(last.startsWith("error: " + tmp.resolve("last.jsonl") + ":3: the last message is the user's"), last);
        String empty = refused("empty.jsonl", "{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n{\"prompt\": \"3+3=\", \"completion\": \"\"}\n");
        assertTrue(empty.startsWith("error: " + tmp.resolve("empty.jsonl") + ":2: \"completion\" is empty"), empty);
        String mixed = refused("mixed.jsonl", ok + "{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n");
        assertTrue(mixed.startsWith("error: " + tmp.resolve("mixed.jsonl") + ":2: a {\"prompt\", \"completion\"} line in a file whose line 1 is {\"messages\"}"), mixed);
    }

    @Test
    void aTemplateThatRaisesIsOneLine() throws IOException {
        Path template = Files.writeString(tmp.resolve("strict.jinja"),
                "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System messages are not supported') }}{% endif %}"
                        + "{{ m['content'] }}<|im_end|>{% endfor %}");
        String line = refused("system.jsonl", chat(USER, ASSISTANT) + chat("{\"role\": \"system\", \"content\": \"Be brief.\"}", USER, ASSISTANT),
                "--chat_template", template.toString());
        assertTrue(line.startsWith("error: " + tmp.resolve("system.jsonl") + ":2: ") && line.contains("System messages are not supported"), line);
    }

    @Test
    void instructionFlagsOnPlainTextAreRefused() throws IOException {
        String line = refused("plain.txt", "the cat sat on the mat\nthe dog sat on the log\n", "--packing");
        assertTrue(line.contains("--packing applies to instruction data"), line);
        String lineByLine = refused("chat.jsonl", chat(USER, ASSISTANT).repeat(4), "--line_by_line");
        assertTrue(lineByLine.contains("--line_by_line applies to plain text"), lineByLine);
    }
}
