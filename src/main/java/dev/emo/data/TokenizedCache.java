package dev.emo.data;

import dev.emo.util.Hashes;
import dev.emo.tokenizers.Tokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Tokenised documents cached on disk, keyed by the text file's hash, the tokenizer files' hashes
 * and the reading options, so a second run on the same data skips tokenisation. A cache file that
 * cannot be read is ignored and rewritten.
 */
public final class TokenizedCache {
    private static final Logger LOG = LogManager.getLogger(TokenizedCache.class);
    private static final int MAGIC = 0x454d4f43;

    private TokenizedCache() {}

    public static List<int[]> tokenize(Path file, TextFiles.Format format, String textColumn, Tokenizer tok, Path modelDir, Path cacheDir) {
        TextFiles.requireFile(file);
        String key = key(file, format, textColumn, modelDir);
        Path cached = cacheDir.resolve(key + ".tok");
        if (Files.isRegularFile(cached)) {
            try {
                return read(cached);
            } catch (IOException e) {
                LOG.warn("{}: unreadable cache ({}), tokenizing again", cached, e.getMessage());
            }
        }
        List<String> docs = TextFiles.read(file, format, textColumn);
        List<int[]> ids = new ArrayList<>(docs.size());
        for (String d : docs) ids.add(tok.encode(d));
        try {
            Files.createDirectories(cacheDir);
            Path tmp = cacheDir.resolve(key + ".tok.tmp");
            write(tmp, ids);
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("{}: cannot write the token cache ({}); continuing without it", cacheDir, e.getMessage());
        }
        return ids;
    }

    static String key(Path file, TextFiles.Format format, String column, Path modelDir) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Hashes.sha256(file).getBytes(StandardCharsets.UTF_8));
            for (String f : List.of("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "config.json")) {
                Path p = modelDir.resolve(f);
                if (Files.isRegularFile(p)) md.update(Hashes.sha256(p).getBytes(StandardCharsets.UTF_8));
            }
            md.update((format + "|" + column + "|v1").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path f, List<int[]> docs) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(f), 1 << 20))) {
            out.writeInt(MAGIC);
            out.writeInt(docs.size());
            for (int[] d : docs) {
                out.writeInt(d.length);
                for (int x : d) out.writeInt(x);
            }
        }
    }

    private static List<int[]> read(Path f) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 20))) {
            if (in.readInt() != MAGIC) throw new IOException("bad magic");
            int n = in.readInt();
            List<int[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int[] d = new int[in.readInt()];
                for (int k = 0; k < d.length; k++) d[k] = in.readInt();
                out.add(d);
            }
            return out;
        }
    }
}
