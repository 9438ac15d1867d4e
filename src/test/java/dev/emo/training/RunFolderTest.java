package dev.emo.training;

import dev.emo.UserError;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run folder's lock, its checks before writing, and its writes on a full disk. */
class RunFolderTest {
    @TempDir
    Path tmp;

    @Test
    void aFullDiskIsOneLineAndLeavesNoTempFolder() throws IOException {
        Path devFull = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.exists(devFull), "needs Linux's /dev/full (every write fails with ENOSPC)");
        Path dir = tmp.resolve("run");
        try (RunFolder run = RunFolder.acquire(dir, false, false)) {
            run.stage("checkpoint-1", staged -> write(staged.resolve("w.bin"), "old weights"));
            UserError e = assertThrows(UserError.class, () -> run.stage("checkpoint-1", staged -> {
                write(staged.resolve("w.bin"), "half");
                try {
                    Files.write(devFull, new byte[1 << 16]);           // what a full disk does to the next write
                } catch (IOException full) {
                    throw new UncheckedIOException(full);
                }
            }));
            assertTrue(e.getMessage().contains("checkpoint-1") && e.getMessage().contains("No space left on device")
                    && e.getMessage().contains("--resume_from_checkpoint"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            assertFalse(Files.exists(dir.resolve("checkpoint-1.tmp")), "no .tmp left behind");
            assertEquals("old weights", Files.readString(dir.resolve("checkpoint-1/w.bin")), "the checkpoint it was to replace is intact");
        }
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aSecondRunInTheSameFolderFailsNamingTheHolder() throws IOException {
        Path dir = tmp.resolve("run");
        try (RunFolder first = RunFolder.acquire(dir, false, false)) {
            Files.writeString(dir.resolve("run.json"), "{}");
            String pid = "pid " + ProcessHandle.current().pid();
            UserError checked = assertThrows(UserError.class, () -> RunFolder.check(dir, true, false, List.of()));
            assertTrue(checked.getMessage().contains("another run is writing") && checked.getMessage().contains(pid), checked.getMessage());
            UserError locked = assertThrows(UserError.class, () -> RunFolder.acquire(dir, true, false));
            assertTrue(locked.getMessage().contains(pid), locked.getMessage());
            assertTrue(Files.exists(dir.resolve("run.json")), "the overwrite that was refused deleted nothing");
        }
        assertEquals(null, RunFolder.holder(dir), "released at close");
        try (RunFolder again = RunFolder.acquire(dir, true, false)) {
            assertFalse(Files.exists(dir.resolve("run.json")), "overwritten once the lock was free");
        }
    }

    @Test
    void checkWritesNothingAndRefusesBadFolders() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertTrue(assertThrows(UserError.class, () -> RunFolder.check(file, false, false, List.of())).getMessage().contains("is a file"));
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("run.json"), "{}");
        Path input = Files.createDirectories(run.resolve("best"));
        assertTrue(assertThrows(UserError.class, () -> RunFolder.check(run, false, false, List.of())).getMessage().contains("already holds a run"));
        assertTrue(assertThrows(UserError.class, () -> RunFolder.check(run, true, false, List.of(input))).getMessage()
                .contains("would delete this run's own input"));
        RunFolder.check(run, true, false, List.of(tmp.resolve("elsewhere")));     // an input outside: fine
        RunFolder.check(tmp.resolve("new"), false, false, List.of());
        assertFalse(Files.exists(tmp.resolve("new")), "check creates nothing");
        assertFalse(Files.exists(run.resolve(RunFolder.LOCK)), "nor a lock file");
    }

    @Test
    void metricsTruncationNamesALineWithoutAStep() throws IOException {
        try (RunFolder run = RunFolder.acquire(tmp.resolve("run"), false, false)) {
            Files.writeString(run.dir().resolve("metrics.csv"), "step,epoch\n1,0.1\n\nx,0.2\n");
            UserError e = assertThrows(UserError.class, () -> run.truncateMetricsAfter(1));
            assertTrue(e.getMessage().contains("metrics.csv") && e.getMessage().contains("line 4"), e.getMessage());
        }
    }
}
