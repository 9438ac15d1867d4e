package dev.emo.cli;

import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as users meet it: exit codes, one-line errors, printed results. */
class CliTest {
    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** Issue #11: `verify --batch 0` / `--length 0` crashed the JVM in libnd4j; now one line, exit 2. */
    @Test
    void verifyRefusesZeroSizes() {
        for (String[] flag : new String[][]{{"--batch", "0"}, {"--length", "0"}, {"--batch", "-2"}}) {
            CliRun r = run("verify", "--model", Fixtures.model("tiny-opt").toString(), flag[0], flag[1]);
            assertEquals(2, r.code(), r.err());
            String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("error: " + flag[0] + " " + flag[1]), r.err());
        }
    }

    @Test
    void verifyPassesOnAnExport() {
        CliRun r = run("verify", "--model", Fixtures.model("tiny-opt").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("PASS") && r.out().contains("max |Δlogit|"), r.out());
    }

    @Test
    void badModelFolderIsOneLineAndExitCode2() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"bert\"}");
        CliRun r = run("verify", "--model", tmp.toString());
        assertEquals(2, r.code());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: ") && !err.contains("\n") && err.contains("config.json") && err.contains("bert"), err);
    }

    @Test
    void generateGreedyPrintsTheStory() {
        CliRun r = run("generate", "--model", Fixtures.model("stories260k").toString(), "--max_new_tokens", "12");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
    }

    @Test
    void unknownFlagIsRejected() {
        CliRun r = run("verify", "--model", Fixtures.model("tiny-opt").toString(), "--no-such-flag");
        assertTrue(r.code() != 0 && r.err().contains("--no-such-flag"), r.err());
    }

}
