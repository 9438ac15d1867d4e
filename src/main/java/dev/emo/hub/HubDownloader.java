package dev.emo.hub;

import dev.emo.UserError;
import dev.emo.util.Hashes;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Downloads an ONNX export from the Hugging Face hub's URL layout
 * ({@code {endpoint}/{repo}/resolve/{revision}/{path}}) into a model folder our loader reads:
 * {@code onnx/decoder_model.onnx} (+ its external data), config.json and the tokenizer files, taken
 * from {@code onnx/} where present, else from the repo root.
 *
 * <p>Resumable: bytes go to {@code NAME.part}, and a later run continues it with a Range request.
 * Verified: the hub's ETag (X-Linked-Etag for LFS files: the SHA-256; ETag for small files: the git
 * blob SHA-1) is checked before the file is renamed into place.
 */
public final class HubDownloader {
    private static final Logger LOG = LogManager.getLogger(HubDownloader.class);

    /** Files of an export, in the order tried; the first group is required (one of each alternative). */
    static final List<String> MODEL = List.of("decoder_model.onnx", "model.onnx", "decoder_model_merged.onnx");
    static final List<String> OPTIONAL = List.of("decoder_model.onnx_data", "model.onnx_data", "decoder_model_merged.onnx_data",
            "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "generation_config.json");

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    public HubDownloader(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** HF_ENDPOINT / HF_TOKEN as huggingface_hub reads them. */
    public static HubDownloader fromEnvironment() {
        return new HubDownloader(endpoint(Optional.ofNullable(System.getenv("HF_ENDPOINT")).orElse("https://huggingface.co")),
                System.getenv("HF_TOKEN"));
    }

    /** HF_ENDPOINT as a base URI: an http(s) URL with a host, checked before any request (notaurl, ftp://… failed deep in the client). */
    static URI endpoint(String ep) {
        URI uri;
        try {
            uri = new URI(ep.endsWith("/") ? ep : ep + "/");
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
            throw UserError.of("HF_ENDPOINT=" + ep, "not an http(s) URL", "set it to e.g. https://huggingface.co (the default when unset) or your mirror's https:// URL");
        }
        return uri;
    }

    /** Downloads {@code repo} at {@code revision} into {@code cacheRoot/models--org--name/revision}; returns that folder. */
    public Path download(String repo, String revision, Path cacheRoot) {
        if (!repo.matches("[A-Za-z0-9][\\w.-]*(/[\\w.-]+)?") || hasDotSegment(repo)) {
            throw new UserError("'" + repo + "' is not a hub model id; use e.g. gpt2 or facebook/opt-125m");
        }
        // a branch, tag or commit: names separated by '/', none of them '.' or '..' (so the files land under the cache)
        if (!revision.matches("[\\w.-]+(/[\\w.-]+)*") || hasDotSegment(revision)) {
            throw new UserError("--revision '" + revision + "' is not a branch, tag or commit name; use e.g. main or a commit hash");
        }
        Path root = cacheRoot.toAbsolutePath().normalize();
        Path dir = root.resolve("models--" + repo.replace("/", "--")).resolve(revision).normalize();
        if (!dir.startsWith(root)) throw new UserError("'" + repo + "' at '" + revision + "' would be written outside " + root);
        boolean model = false;
        for (String f : MODEL) {
            if (fetch(repo, revision, List.of("onnx/" + f, f), dir.resolve(f))) {
                model = true;
                break;
            }
        }
        if (!model && !exists(repo, revision, "config.json")) {
            throw new UserError(url(repo, revision, "config.json") + ": HTTP 404 for it and for every ONNX decoder name: no such repo or revision at "
                    + endpoint + " (or it is private: set HF_TOKEN); check the model id and --revision");
        }
        if (!model) {
            throw new UserError(url(repo, revision, "onnx/" + MODEL.get(0)) + ": the repo has no ONNX decoder; export one with "
                    + "`optimum-cli export onnx --model " + repo + " --task text-generation DIR` and pass DIR to --model");
        }
        if (!fetch(repo, revision, List.of("onnx/config.json", "config.json"), dir.resolve("config.json"))) {
            throw new UserError(url(repo, revision, "config.json") + ": not found; the repo must have a config.json");
        }
        for (String f : OPTIONAL) fetch(repo, revision, List.of("onnx/" + f, f), dir.resolve(f));
        if (!Files.exists(dir.resolve("tokenizer.json")) && !(Files.exists(dir.resolve("vocab.json")) && Files.exists(dir.resolve("merges.txt")))) {
            throw new UserError(url(repo, revision, "tokenizer.json") + ": the repo has no tokenizer files (tokenizer.json, or vocab.json + merges.txt)");
        }
        return dir;
    }

    private static boolean hasDotSegment(String path) {
        for (String part : path.split("/", -1)) if (part.equals(".") || part.equals("..")) return true;
        return false;
    }

    private String url(String repo, String revision, String path) {
        return endpoint.resolve(repo + "/resolve/" + revision + "/" + path).toString();
    }

    /** Tries each remote path; true once one is in place (already complete files are kept). */
    private boolean fetch(String repo, String revision, List<String> remotePaths, Path target) {
        if (Files.isRegularFile(target)) return true;
        for (String path : remotePaths) {
            URI uri = URI.create(url(repo, revision, path));
            try {
                HttpResponse<Void> head = http.send(request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.discarding());
                String hubError = head.headers().firstValue("x-error-code").orElse("");
                if (hubError.equals("RepositoryNotFound")) {
                    throw new UserError(uri + ": no such repo '" + repo + "' (HTTP " + head.statusCode() + "; or it is private or gated: set HF_TOKEN); check the model id");
                }
                if (hubError.equals("RevisionNotFound")) {
                    throw new UserError(uri + ": the repo has no revision '" + revision + "' (HTTP " + head.statusCode() + "); pass an existing branch, tag or commit to --revision");
                }
                if (head.statusCode() == 404) continue;
                if (head.statusCode() == 401 || head.statusCode() == 403) {
                    throw new UserError(uri + ": access denied (HTTP " + head.statusCode() + "); set HF_TOKEN for gated or private repos");
                }
                if (head.statusCode() >= 400) throw new UserError(uri + ": HTTP " + head.statusCode() + "; try again later");
                String etag = head.headers().firstValue("x-linked-etag").or(() -> head.headers().firstValue("etag")).orElse("");
                get(uri, target, etag.replace("W/", "").replace("\"", ""));
                return true;
            } catch (java.net.ConnectException e) {
                throw new UserError(endpoint + ": cannot connect (" + (e.getMessage() == null ? "connection refused" : e.getMessage())
                        + "); check the network or proxy, or HF_ENDPOINT");
            } catch (IOException e) {
                throw new UserError(uri + ": download failed (" + e.getMessage() + "); run the same command again to resume");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError(uri + ": download interrupted; run the same command again to resume");
            }
        }
        return false;
    }

    /** Whether the hub has the file (a HEAD request; 404 = no). */
    private boolean exists(String repo, String revision, String path) {
        URI uri = URI.create(url(repo, revision, path));
        try {
            return http.send(request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() != 404;
        } catch (IOException e) {
            throw new UserError(uri + ": request failed (" + e.getMessage() + "); run the same command again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError(uri + ": interrupted; run the same command again");
        }
    }

    private void get(URI uri, Path target, String etag) throws IOException, InterruptedException {
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder req = request(uri).GET();
        if (have > 0) req.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        boolean append = r.statusCode() == 206;
        if (r.statusCode() != 200 && !append) {
            r.body().close();
            throw new UserError(uri + ": HTTP " + r.statusCode() + "; try again later");
        }
        if (have > 0) LOG.info("{}: {} from byte {}", target.getFileName(), append ? "resuming" : "server ignored Range, restarting", have);
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            in.transferTo(out);
        }
        verify(part, etag, uri);
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LOG.info("downloaded {} ({} bytes)", target, Files.size(target));
    }

    /** SHA-256 for LFS files, git blob SHA-1 for small ones; without either, the content is checked instead. */
    static void verify(Path file, String etag, URI uri) throws IOException {
        String got;
        if (etag.matches("[0-9a-f]{64}")) got = Hashes.file(file, "SHA-256", null);
        else if (etag.matches("[0-9a-f]{40}")) got = Hashes.file(file, "SHA-1", ("blob " + Files.size(file) + "\0").getBytes());
        else {
            checkContent(file, uri);
            return;
        }
        if (!got.equals(etag)) {
            Files.delete(file);
            throw new UserError(uri + ": checksum mismatch (expected " + etag + ", got " + got + "); the partial file was removed, run again");
        }
    }

    /**
     * With no checksum (a mirror or proxy without ETags), what would be kept is checked by what it must be:
     * an ONNX file parses as ONNX, a .json file as JSON, and nothing is an HTML page (a proxy's error page).
     */
    private static void checkContent(Path part, URI uri) throws IOException {
        String name = uri.getPath().substring(uri.getPath().lastIndexOf('/') + 1);
        String problem = null;
        if (name.endsWith(".onnx")) {
            try {
                dev.emo.onnx.OnnxWeights.requireModel(part);
            } catch (UserError e) {
                problem = "is not an ONNX model";
            }
        } else if (name.endsWith(".json")) {
            try {
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(part.toFile());
            } catch (IOException e) {
                problem = "is not JSON";
            }
        }
        if (problem == null && !name.endsWith("_data")) {
            byte[] head = new byte[256];
            int n;
            try (InputStream in = Files.newInputStream(part)) {
                n = Math.max(0, in.readNBytes(head, 0, head.length));
            }
            String start = new String(head, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1).stripLeading().toLowerCase(java.util.Locale.ROOT);
            if (start.startsWith("<!doctype html") || start.startsWith("<html")) problem = "is an HTML page";
        }
        if (problem != null) {
            Files.delete(part);
            throw new UserError(uri + ": the server sent no checksum and the file " + problem + " (removed); check HF_ENDPOINT "
                    + "points at a hub or mirror that serves the files themselves, then run again");
        }
        LOG.info("{}: no checksum from the server; the content was checked instead", uri);
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30)).header("User-Agent", "emo-dl4j/0.1");
        if (token != null && !token.isBlank()) b.header("Authorization", "Bearer " + token);
        return b;
    }
}
