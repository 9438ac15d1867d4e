package dev.emo.tokenizers;

import java.util.Arrays;

/**
 * The merge table of a BPE model, over token ids: (left id, right id) -> (rank, merged id), and the
 * merge loop of Hugging Face's {@code Word::merge_all}: repeatedly merge the pair with the lowest
 * rank, leftmost on ties. A heap plus a linked list keeps long words (a SentencePiece model sees the
 * whole text as one word) at O(n log n) instead of rescanning.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;
    private long[] keys;
    private int[] ranks;
    private int[] results;
    private int mask;
    private int size;

    BpeMerges(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2)) * 2;
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        ranks = new int[cap];
        results = new int[cap];
        mask = cap - 1;
    }

    int size() {
        return size;
    }

    /** Later duplicates overwrite earlier ones, as HF's HashMap collect does. */
    void put(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int i = slot(key);
        if (keys[i] == EMPTY) {
            keys[i] = key;
            size++;
        }
        ranks[i] = rank;
        results[i] = merged;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 29)) & mask;
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    /** slot of the pair, or -1 */
    private int find(int left, int right) {
        long key = key(left, right);
        int i = slot(key);
        return keys[i] == EMPTY ? -1 : i;
    }

    /** Applies all merges to the symbol ids {@code sym[0..n)} and returns the merged ids. */
    int[] apply(int[] symbols) {
        int n = symbols.length;
        if (n < 2) return symbols;
        int[] sym = symbols.clone();
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // heap entries: rank in the high half, position of the left symbol in the low half
        long[] heap = new long[n];
        int hn = 0;
        for (int i = 0; i + 1 < n; i++) {
            int s = find(sym[i], sym[i + 1]);
            if (s >= 0) heap[hn++] = ((long) ranks[s] << 32) | i;
        }
        for (int i = hn / 2 - 1; i >= 0; i--) siftDown(heap, hn, i);
        int alive = n;
        while (hn > 0) {
            long top = heap[0];
            heap[0] = heap[--hn];
            siftDown(heap, hn, 0);
            int pos = (int) top, rank = (int) (top >>> 32);
            int nx = next[pos];
            if (sym[pos] < 0 || nx < 0) continue;
            int s = find(sym[pos], sym[nx]);
            if (s < 0 || ranks[s] != rank) continue; // stale: a neighbour merged first
            sym[pos] = results[s];
            sym[nx] = -1;
            alive--;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            int p = prev[pos];
            if (p >= 0 && (s = find(sym[p], sym[pos])) >= 0) {
                if (hn == heap.length) heap = Arrays.copyOf(heap, hn * 2 + 2);
                heap[hn++] = ((long) ranks[s] << 32) | p;
                siftUp(heap, hn - 1);
            }
            int q = next[pos];
            if (q >= 0 && (s = find(sym[pos], sym[q])) >= 0) {
                if (hn == heap.length) heap = Arrays.copyOf(heap, hn * 2 + 2);
                heap[hn++] = ((long) ranks[s] << 32) | pos;
                siftUp(heap, hn - 1);
            }
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    private static void siftDown(long[] h, int n, int i) {
        long v = h[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && h[c + 1] < h[c]) c++;
            if (h[c] >= v) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = v;
    }

    private static void siftUp(long[] h, int i) {
        long v = h[i];
        while (i > 0) {
            int p = (i - 1) / 2;
            if (h[p] <= v) break;
            h[i] = h[p];
            i = p;
        }
        h[i] = v;
    }
}
