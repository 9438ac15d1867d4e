package dev.emo.tokenizers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the tokenizer's JSON files, turning every failure into a one-line error naming the file. */
final class JsonFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String REFETCH = "copy it again from the Hugging Face model repo";

    private JsonFiles() {}

    static JsonNode read(Path file) {
        try {
            JsonNode n = MAPPER.readTree(file.toFile());
            if (n == null || n.isMissingNode()) throw TokenizerException.of(file, "file is empty", REFETCH);
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new TokenizerException(file + ": not valid JSON" + where + " (" + e.getOriginalMessage() + "); "
                    + REFETCH, e);
        } catch (IOException e) {
            if (!Files.exists(file) || e instanceof NoSuchFileException)
                throw new TokenizerException(file + ": file not found; " + REFETCH, e);
            throw new TokenizerException(file + ": cannot read (" + e + "); check its permissions", e);
        }
    }

    /** A JSON document from a stream (e.g. a classpath resource); {@code label} names it in errors. */
    static JsonNode read(Path label, java.io.InputStream in) {
        try (in) {
            JsonNode n = MAPPER.readTree(in);
            if (n == null || n.isMissingNode()) throw TokenizerException.of(label, "file is empty", REFETCH);
            return n;
        } catch (IOException e) {
            throw new TokenizerException(label + ": not valid JSON (" + e.getMessage() + "); " + REFETCH, e);
        }
    }

    /** {@code read(file)} if the file exists, else null. */
    static JsonNode readIfPresent(Path file) {
        return Files.isRegularFile(file) ? read(file) : null;
    }

    static TokenizerException bad(Path file, String problem) {
        return TokenizerException.of(file, problem, REFETCH);
    }

    /** an int field, or {@code dflt} when absent, null or not an integer (config.json allows all three) */
    static int intOr(JsonNode node, String field, int dflt) {
        if (node == null) return dflt;
        JsonNode v = node.get(field);
        return v != null && v.canConvertToInt() && v.isIntegralNumber() ? v.intValue() : dflt;
    }

    static String textOr(JsonNode node, String field, String dflt) {
        if (node == null) return dflt;
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return dflt;
        // tokenizer_config.json writes special tokens either as "..." or as {"content": "..."}
        if (v.isObject() && v.has("content")) return v.get("content").asText();
        return v.isTextual() ? v.asText() : dflt;
    }
}
