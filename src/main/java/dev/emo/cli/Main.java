package dev.emo.cli;

import dev.emo.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./run.sh}: one subcommand per task. */
@Command(name = "run.sh", mixinStandardHelpOptions = true, version = "emo-dl4j 0.1.0",
        description = "EMO (Earth Mover Distance Optimization) calibration of causal LMs on DL4J/SameDiff.",
        subcommands = {FinetuneCommand.class, SampleCommand.class, EvaluateCommand.class, CompareCommand.class, OracleCommand.class, IclCommand.class, DownloadCommand.class,
                VerifyCommand.class, GenerateCommand.class, TokenizeCommand.class, BenchCommand.class, SparkClusterCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** runs/&lt;command&gt;-&lt;yyyyMMdd-HHmmss&gt;: where a command writes when no --output_dir is given. */
    static java.nio.file.Path defaultOutputDir(String command) {
        return java.nio.file.Path.of("runs", command + "-"
                + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line; input errors become one line on stderr and exit code 2. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UserError) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        // a mistyped flag is one line too (picocli would print the whole usage after it)
        cli.setParameterExceptionHandler((ex, rest) -> {
            CommandLine cmd = ex.getCommandLine();
            String suggestion = ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
                    ? "did you mean " + String.join(" or ", u.getSuggestions()) + "? " : "";
            cmd.getErr().println("error: " + cmd.getCommandName() + ": " + ex.getMessage().lines().findFirst().orElse("bad arguments")
                    + "; " + suggestion + "see ./run.sh " + cmd.getCommandName() + " --help");
            return 2;
        });
        try {
            return cli.execute(ConfigFile.expand(args, cli));
        } catch (UserError e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
    }
}
