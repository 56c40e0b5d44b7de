package eu.souverain.server.documents;

import eu.souverain.server.documents.DocumentParser.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * A document's text and its chunks: the blocks joined with blank lines into the extracted text,
 * then cut into chunks of about a target size that start at each heading and each page, keep
 * paragraphs whole where they fit, and cut a longer one at a sentence or a space. Each chunk knows
 * its page, its character offsets in the extracted text and the heading it falls under.
 */
public final class Chunker {

    public static final int DEFAULT_CHARS = 1000;
    public static final int MIN_CHARS = 200;
    public static final int MAX_CHARS = 8000;

    /** A piece of a document; {@code start} and {@code end} are offsets in the document's extracted text. */
    public record Chunk(int index, String text, int page, int start, int end, String heading) {
    }

    /** The extracted text and its chunks. */
    public record Chunked(String text, List<Chunk> chunks) {
    }

    private Chunker() {
    }

    public static Chunked chunk(List<Block> blocks, int targetChars) {
        StringBuilder text = new StringBuilder();
        List<Chunk> chunks = new ArrayList<>();
        int chunkStart = -1;
        int chunkEnd = -1;
        int page = -1;
        String heading = null;
        String chunkHeading = null;
        for (Block block : blocks) {
            if (!text.isEmpty()) {
                text.append("\n\n");
            }
            int start = text.length();
            text.append(block.text());
            int end = text.length();
            boolean newPage = block.page() != page;
            boolean full = chunkStart >= 0 && end - chunkStart > targetChars;
            if (chunkStart >= 0 && (block.heading() || newPage || full)) {
                addPieces(chunks, text, chunkStart, chunkEnd, page, chunkHeading, targetChars);
                chunkStart = -1;
            }
            if (block.heading()) {
                heading = block.text();
            }
            if (chunkStart < 0) {
                chunkStart = start;
                chunkHeading = heading;
                page = block.page();
            }
            chunkEnd = end;
        }
        if (chunkStart >= 0) {
            addPieces(chunks, text, chunkStart, chunkEnd, page, chunkHeading, targetChars);
        }
        return new Chunked(text.toString(), chunks);
    }

    /** The span [start, end) as chunks of at most {@code target} characters, cut at a sentence or a space. */
    private static void addPieces(List<Chunk> chunks, CharSequence text, int start, int end, int page, String heading,
                                  int target) {
        int from = start;
        while (from < end) {
            int to = Math.min(end, from + target);
            if (to < end) {
                to = cut(text, from, to);
            }
            String piece = text.subSequence(from, to).toString().strip();
            if (!piece.isEmpty()) {
                chunks.add(new Chunk(chunks.size(), piece, page, from, to, heading));
            }
            from = to;
            while (from < end && Character.isWhitespace(text.charAt(from))) {
                from++;
            }
        }
    }

    /** Where to end a piece that would end at {@code to}: after the last sentence or space in its second half. */
    private static int cut(CharSequence text, int from, int to) {
        int half = from + (to - from) / 2;
        for (int i = to - 1; i > half; i--) {
            char c = text.charAt(i);
            if ((c == '.' || c == '!' || c == '?' || c == '\n') && Character.isWhitespace(text.charAt(i + 1))) {
                return i + 1;
            }
        }
        for (int i = to - 1; i > half; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return to;
    }
}
