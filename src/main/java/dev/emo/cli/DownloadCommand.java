package dev.emo.cli;

import dev.emo.hub.HubDownloader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Downloads an ONNX export from the Hugging Face hub (resumable, checksum-verified) and prints its folder.",
                "Endpoint and token from HF_ENDPOINT / HF_TOKEN; cache under $EMO_HOME/hub (default ~/.cache/emo-dl4j/hub)."})
final class DownloadCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "hub model id, e.g. gpt2 or facebook/opt-125m")
    String repo;

    @Option(names = "--revision", defaultValue = "main", description = "branch, tag or commit (default: ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--cache_dir", description = "where models are stored (default: $EMO_HOME/hub)")
    Path cacheDir;

    @Override
    public Integer call() {
        Path root = cacheDir != null ? cacheDir : dev.emo.EmoHome.dir().resolve("hub");
        Path dir = HubDownloader.fromEnvironment().download(repo, revision, root);
        System.out.println(dir);
        return 0;
    }
}
