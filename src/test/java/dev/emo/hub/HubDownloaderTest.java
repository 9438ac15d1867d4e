package dev.emo.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.emo.Fixtures;
import dev.emo.UserError;
import dev.emo.registry.Models;
import dev.emo.util.Hashes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The downloader against a loopback server that serves the tiny-gpt2 fixture in the hub's layout
 * (/{repo}/resolve/{revision}/onnx/...), with LFS-style SHA-256 ETags on the model and git blob
 * SHA-1 ETags on small files, and Range support.
 */
class HubDownloaderTest {
    @TempDir
    Path tmp;
    HttpServer server;
    final Map<String, byte[]> files = new HashMap<>();
    final Map<String, String> etags = new HashMap<>();
    final AtomicInteger rangeRequests = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    boolean corruptModel;
    boolean htmlWithoutEtag;    // a proxy's error page served as every file, with no ETag
    String hubErrorCode;        // the hub's X-Error-Code on 404s (RepositoryNotFound, RevisionNotFound), or none

    @BeforeEach
    void serve() throws Exception {
        Path src = Fixtures.model("tiny-gpt2");
        put("onnx/decoder_model.onnx", Files.readAllBytes(src.resolve("model.onnx")), true);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt")) {
            put("onnx/" + f, Files.readAllBytes(src.resolve(f)), false);
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void put(String path, byte[] content, boolean lfs) throws Exception {
        files.put("/tiny/gpt2/resolve/main/" + path, content);
        etags.put("/tiny/gpt2/resolve/main/" + path, lfs ? Hashes.bytes("SHA-256", null, content)
                : Hashes.bytes("SHA-1", ("blob " + content.length + "\0").getBytes(), content));
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        byte[] body = files.get(path);
        if (body == null) {
            if (hubErrorCode != null) ex.getResponseHeaders().add("X-Error-Code", hubErrorCode);
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        if (corruptModel && path.endsWith(".onnx")) body = Arrays.copyOf(body, body.length - 1);
        if (htmlWithoutEtag) body = "<!DOCTYPE html><html><body>Sign in to continue</body></html>".getBytes();
        String etag = etags.get(path);
        if (!htmlWithoutEtag) ex.getResponseHeaders().add(path.endsWith(".onnx") ? "X-Linked-Etag" : "ETag", "\"" + etag + "\"");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            ex.close();
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            rangeRequests.incrementAndGet();
            from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
        }
        byte[] part = Arrays.copyOfRange(body, from, body.length);
        ex.sendResponseHeaders(range != null ? 206 : 200, part.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(part);
        }
    }

    private HubDownloader downloader() {
        return new HubDownloader(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"), null);
    }

    @Test
    void downloadsALoadableVerifiedModel() throws Exception {
        Path dir = downloader().download("tiny/gpt2", "main", tmp);
        assertArrayEquals(files.get("/tiny/gpt2/resolve/main/onnx/decoder_model.onnx"), Files.readAllBytes(dir.resolve("decoder_model.onnx")));
        assertTrue(Files.exists(dir.resolve("tokenizer.json")) && Files.exists(dir.resolve("config.json")));
        assertEquals(50257, Models.load(dir).model().config().vocabSize());
    }

    @Test
    void resumesAPartialDownloadWithARangeRequest() throws Exception {
        Path dir = tmp.resolve("models--tiny--gpt2/main");
        Files.createDirectories(dir);
        byte[] model = files.get("/tiny/gpt2/resolve/main/onnx/decoder_model.onnx");
        Files.write(dir.resolve("decoder_model.onnx.part"), Arrays.copyOf(model, model.length / 3));
        downloader().download("tiny/gpt2", "main", tmp);
        assertEquals(1, rangeRequests.get());
        assertArrayEquals(model, Files.readAllBytes(dir.resolve("decoder_model.onnx")));
        assertFalse(Files.exists(dir.resolve("decoder_model.onnx.part")));
    }

    @Test
    void checksumMismatchLeavesNoModelFile() {
        corruptModel = true;
        UserError e = assertThrows(UserError.class, () -> downloader().download("tiny/gpt2", "main", tmp));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("decoder_model.onnx"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("models--tiny--gpt2/main/decoder_model.onnx")));
    }

    /** Issue #11: `download --revision ../../../../escaped` wrote outside the cache folder. */
    @Test
    void namesThatWouldLeaveTheCacheAreRefusedBeforeAnyRequest() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("a/b/c/d/cache"));   // deep, so an escape would still land in tmp
        for (String[] bad : new String[][]{{"tiny/gpt2", "../../../../escaped"}, {"tiny/gpt2", ".."}, {"tiny/gpt2", "/etc"},
                {"tiny/gpt2", "main/../../x"}, {"tiny/..", "main"}, {"../gpt2", "main"}, {"a/b/c", "main"}}) {
            UserError e = assertThrows(UserError.class, () -> downloader().download(bad[0], bad[1], cache), String.join(" @ ", bad));
            String named = bad[0].contains("..") || bad[0].equals("a/b/c") ? bad[0] : bad[1];
            assertTrue(e.getMessage().contains(named), e.getMessage());
        }
        try (var all = Files.walk(tmp)) {
            List<Path> written = all.filter(p -> !cache.startsWith(p)).toList();
            assertEquals(List.of(), written, "nothing written, in the cache or beside it");
        }
        assertEquals(0, requests.get(), "refused before any request");
    }

    @Test
    void repoWithoutOnnxSaysHowToExport() {
        files.put("/someone/other/resolve/main/config.json", "{}".getBytes());
        etags.put("/someone/other/resolve/main/config.json", "x");
        UserError e = assertThrows(UserError.class, () -> downloader().download("someone/other", "main", tmp));
        assertTrue(e.getMessage().contains("optimum-cli export onnx --model someone/other"), e.getMessage());
    }

    @Test
    void aRepoThatIsNotThereIsSaidToBeMissing() throws Exception {
        UserError e = assertThrows(UserError.class, () -> downloader().download("nobody/nothing", "main", tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("no such repo or revision") && e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("cache")), "nothing written");
        hubErrorCode = "RepositoryNotFound";
        e = assertThrows(UserError.class, () -> downloader().download("nobody/nothing", "main", tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("no such repo 'nobody/nothing'"), e.getMessage());
        hubErrorCode = "RevisionNotFound";
        e = assertThrows(UserError.class, () -> downloader().download("tiny/gpt2", "v9", tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("no revision 'v9'") && e.getMessage().contains("--revision"), e.getMessage());
    }

    @Test
    void aRefusedConnectionSaysSo() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        HubDownloader nowhere = new HubDownloader(URI.create("http://127.0.0.1:" + closed + "/"), null);
        UserError e = assertThrows(UserError.class, () -> nowhere.download("tiny/gpt2", "main", tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("cannot connect") && e.getMessage().contains("HF_ENDPOINT"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("cache")), "nothing written");
    }

    /** Issue #21: an HTML page served as decoder_model.onnx with no ETag was kept with a WARN. */
    @Test
    void withoutAChecksumTheContentIsCheckedBeforeItIsKept() throws Exception {
        htmlWithoutEtag = true;
        UserError e = assertThrows(UserError.class, () -> downloader().download("tiny/gpt2", "main", tmp));
        assertTrue(e.getMessage().contains("decoder_model.onnx") && e.getMessage().contains("not an ONNX model")
                && e.getMessage().contains("HF_ENDPOINT"), e.getMessage());
        try (var s = Files.walk(tmp)) {
            assertEquals(List.of(), s.filter(Files::isRegularFile).toList(), "nothing kept, no .part");
        }
    }

    @Test
    void anEndpointThatIsNotAnHttpUrlIsOneLine() {
        for (String ep : List.of("notaurl", "ftp://mirror.example/hf", "http://")) {
            UserError e = assertThrows(UserError.class, () -> HubDownloader.endpoint(ep));
            assertTrue(e.getMessage().startsWith("HF_ENDPOINT=" + ep + ": not an http(s) URL; "), e.getMessage());
        }
        assertEquals("https://hf-mirror.example/", HubDownloader.endpoint("https://hf-mirror.example").toString());
    }
}
