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
