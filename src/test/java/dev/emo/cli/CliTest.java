package dev.emo.cli;

import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as users meet it: exit codes, one-line errors, printed results. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void verifyPassesOnAnExport() {
        Run r = run("verify", "--model", Fixtures.model("tiny-opt").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("PASS") && r.out().contains("max |Δlogit|"), r.out());
    }

    @Test
    void badModelFolderIsOneLineAndExitCode2() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"bert\"}");
        Run r = run("verify", "--model", tmp.toString());
        assertEquals(2, r.code());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: ") && !err.contains("\n") && err.contains("config.json") && err.contains("bert"), err);
    }

    @Test
    void generateGreedyPrintsTheStory() {
        Run r = run("generate", "--model", Fixtures.model("stories260k").toString(), "--max_new_tokens", "12");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
    }

    @Test
    void unknownFlagIsRejected() {
        Run r = run("verify", "--model", Fixtures.model("tiny-opt").toString(), "--no-such-flag");
        assertTrue(r.code() != 0 && r.err().contains("--no-such-flag"), r.err());
    }

}
