package dev.emo.util;

import dev.emo.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Hex digests of files, streamed (model and data files can be gigabytes). */
public final class Hashes {
    private Hashes() {}

    /** {@code algorithm} over {@code prefix} (may be null) followed by the file's bytes. */
    public static String file(Path file, String algorithm, byte[] prefix) throws IOException {
        MessageDigest md = digest(algorithm);
        if (prefix != null) md.update(prefix);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of a file, a read failure being the user's problem to fix. */
    public static String sha256(Path file) {
        try {
            return file(file, "SHA-256", null);
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read to hash (" + e.getMessage() + ")", "check the file");
        }
    }

    public static String bytes(String algorithm, byte[] prefix, byte[] content) {
        MessageDigest md = digest(algorithm);
        if (prefix != null) md.update(prefix);
        return HexFormat.of().formatHex(md.digest(content));
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
