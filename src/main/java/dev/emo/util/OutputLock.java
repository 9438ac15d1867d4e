package dev.emo.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * An exclusive OS lock on a lock file for as long as a command writes an output (finetune's run
 * folder, sample's corpus file, an evaluation or comparison folder), holding "pid N on HOST since T"
 * so that a second command into the same output is refused naming the first. The OS drops the lock
 * when the process dies, so a killed command never leaves a stale lock (the file stays, unlocked).
 */
public final class OutputLock implements AutoCloseable {
    /**
     * Lock files held by this JVM. Closing any channel to a file drops every POSIX lock the process
     * holds on it, so a file held here is never opened a second time (nor read: the holder is kept here).
     */
    private static final Map<Path, String> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    /** A lock held by another command: who holds it, for the caller's one-line error. */
    public static final class Busy extends Exception {
        public Busy(String holder) {
            super(holder, null, false, false);
        }
    }

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private OutputLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Who holds {@code lockFile} now ("pid N on HOST since T"), or null when nobody does. Writes nothing. */
    public static String holder(Path lockFile) {
        if (!Files.isRegularFile(lockFile)) return null;
        String here = HELD.get(key(lockFile));
        if (here != null) return here + ", in this JVM";
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, false);
            } catch (OverlappingFileLockException sameJvm) {
                return "a command in this JVM";
            }
            if (probe != null) {
                probe.release();
                return null;
            }
            return describe(lockFile);
        } catch (IOException e) {
            return null;
        }
    }

    /** Creates (if need be) and locks {@code lockFile}, writing this process into it; its folder must exist. */
    public static OutputLock acquire(Path lockFile) throws Busy, IOException {
        Path key = key(lockFile);
        String me = "pid " + ProcessHandle.current().pid() + " on " + hostName() + " since " + java.time.Instant.now();
        String other = HELD.putIfAbsent(key, me);
        if (other != null) throw new Busy(other + ", in this JVM");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null;
            }
            if (lock == null) throw new Busy(describe(lockFile));
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new OutputLock(key, ch, lock);
        } catch (Busy | IOException | RuntimeException e) {
            if (ch != null) closeQuietly(ch);
            HELD.remove(key);
            throw e;
        }
    }

    /**
     * For a command's output: refuses, writing nothing, while another command holds {@code lockFile}
     * ("OUTPUT: another WHAT is writing to it (pid N on HOST since T); wait …, or choose another FLAG").
     */
    public static void refuseIfHeld(Path lockFile, Path output, String what, String flag) {
        String holder = holder(lockFile);
        if (holder != null) throw busy(output, what, flag, holder);
    }

    /** For a command's output: creates the lock file's folder and takes the lock, or refuses as {@link #refuseIfHeld} does. */
    public static OutputLock acquire(Path lockFile, Path output, String what, String flag) {
        try {
            Files.createDirectories(lockFile.toAbsolutePath().getParent());
            return acquire(lockFile);
        } catch (Busy b) {
            throw busy(output, what, flag, b.getMessage());
        } catch (IOException e) {
            throw dev.emo.UserError.of(lockFile, "cannot be created (" + e.getMessage() + ")", "choose a writable " + flag);
        }
    }

    /**
     * After a command failed (a setting found bad only after its model loaded), once its lock is released:
     * the lock file goes, and the output folder too where the command created it and nothing else is in it,
     * so that the disk is as it was.
     */
    public static void removeAfterFailure(Path lockFile, boolean folderExisted) {
        try {
            Files.deleteIfExists(lockFile);
            if (!folderExisted) Files.deleteIfExists(lockFile.toAbsolutePath().getParent());   // fails, harmlessly, where anything else is in it
        } catch (IOException ignored) {
            // the failure itself is what the user is told about
        }
    }

    private static dev.emo.UserError busy(Path output, String what, String flag, String holder) {
        return dev.emo.UserError.of(output, "another " + what + " is writing to it (" + holder + ")", "wait for it to finish, or choose another " + flag);
    }

    @Override
    public void close() {
        try {
            if (lock.isValid()) lock.release();
        } catch (IOException ignored) {
            // the lock goes with the channel below in any case
        }
        closeQuietly(channel);
        HELD.remove(key);
    }

    private static String describe(Path lockFile) {
        try {
            String s = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "a command that has just started" : s;
        } catch (IOException e) {
            return "unknown holder";
        }
    }

    /** The lock file by its folder's real path, so that two spellings of one folder meet here. */
    private static Path key(Path lockFile) {
        Path dir = lockFile.toAbsolutePath().getParent();
        try {
            dir = dir.toRealPath();
        } catch (IOException e) {
            dir = dir.normalize();
        }
        return dir.resolve(lockFile.getFileName().toString());
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a lock file we only read from cannot lose data
        }
    }
}
