package dev.emo.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Runs the command line in this JVM with stdout and stderr captured. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        return capture(() -> Main.execute(args));
    }

    /** One subcommand object (e.g. built with test doubles) run on its own. */
    static CliRun command(Object subcommand, String... args) {
        return capture(() -> new CommandLine(subcommand).execute(args));
    }

    /**
     * Runs a command that must be refused: exit 2, exactly one {@code error:} line and it is the last,
     * everything under {@code watched} as it was (content hashes), no hs_err file, nothing new in the home
     * folder's caches or the temp directory ({@link DiskSnapshot#outsideFolders}); returns that line.
     */
    static String refused(java.nio.file.Path watched, String... command) throws java.io.IOException {
        java.util.Map<String, String> before = DiskSnapshot.of(watched), outside = DiskSnapshot.outsideFolders();
        long crashes = DiskSnapshot.crashLogs();
        CliRun r = of(command);
        String err = r.err().strip();
        org.junit.jupiter.api.Assertions.assertEquals(2, r.code(), err);
        org.junit.jupiter.api.Assertions.assertEquals(1, err.lines().filter(l -> l.startsWith("error: ")).count(), err);
        String last = err.lines().reduce((a, b) -> b).orElse("");
        org.junit.jupiter.api.Assertions.assertTrue(last.startsWith("error: "), err);
        org.junit.jupiter.api.Assertions.assertEquals(before, DiskSnapshot.of(watched), "the disk as it was");
        org.junit.jupiter.api.Assertions.assertEquals(crashes, DiskSnapshot.crashLogs(), "no hs_err file");
        org.junit.jupiter.api.Assertions.assertEquals(outside, DiskSnapshot.outsideFolders(), "nothing new in the home caches or the temp directory");
        return last;
    }

    private static CliRun capture(Supplier<Integer> run) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = run.get();
            return new CliRun(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
