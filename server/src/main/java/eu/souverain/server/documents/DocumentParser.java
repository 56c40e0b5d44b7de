package eu.souverain.server.documents;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.exception.ZeroByteFileException;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MediaType;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * The text of an uploaded file, as Apache Tika reads it, in blocks (headings and paragraphs) with
 * the page each is on (PDF pages, presentation slides). The file's type is detected from its
 * bytes, never from its name (a name only tells Markdown from plain text, which look alike); a type
 * outside {@link #TYPES} is refused. Tika's own limits stop a zip bomb (its secure content handler:
 * compression ratio and depth) and an XML entity expansion (its hardened XML readers); this class
 * adds a cap on the characters extracted.
 */
public final class DocumentParser {

    /** The types parsed, with the extension Mistral's API reports for each. */
    static final Map<String, String> TYPES = Map.of(
            "application/pdf", "pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
            "application/vnd.oasis.opendocument.text", "odt",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx",
            "text/html", "html",
            "application/xhtml+xml", "html",
            "text/markdown", "md",
            "text/plain", "txt");
    private static final Set<String> MARKDOWN_NAMES = Set.of(".md", ".markdown");
    private static final Set<String> BLOCKS = Set.of("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "tr",
            "blockquote", "dt", "dd", "title");

    /** A heading or a paragraph of text, on page {@code page} (0 when the document has no pages). */
    public record Block(String text, int page, boolean heading) {
    }

    /** What a file holds: its detected type, its blocks, and its number of pages (0: none). */
    public record Parsed(String mimeType, String extension, List<Block> blocks, int pages) {
    }

    /** Why a file cannot be read, in words for its uploader. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    private final long maxChars;

    /**
     * Tika's parser, made when a first file comes: its start (the media types' definitions, every
     * format's parser) took about 0.6 s of a server's start, before it served anything.
     */
    private static final class Tika {
        static final AutoDetectParser PARSER = new AutoDetectParser();
    }

    /** A parser that refuses files whose text outgrows {@code maxChars} characters. */
    public DocumentParser(long maxChars) {
        this.maxChars = maxChars;
    }

    /** The type {@code bytes} hold, from their content; {@code name} only tells Markdown from plain text. */
    public String detect(byte[] bytes, String name) throws IOException {
        MediaType type;
        try (TikaInputStream in = TikaInputStream.get(bytes)) {
            type = Tika.PARSER.getDetector().detect(in, new Metadata());
        }
        String base = type.getBaseType().toString();
        if (base.equals("text/plain") && name != null) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (MARKDOWN_NAMES.stream().anyMatch(lower::endsWith)) {
                return "text/markdown";
            }
        }
        if (base.equals("text/x-web-markdown")) {
            return "text/markdown";
        }
        return base;
    }

    /** The blocks of {@code bytes}, whose type {@link #detect} found; {@link Rejected} says why not. */
    public Parsed parse(byte[] bytes, String mimeType) throws Rejected {
        String extension = TYPES.get(mimeType);
        if (extension == null) {
            throw new Rejected("unsupported file type " + mimeType + " (from its content): libraries take PDF, DOCX,"
                    + " ODT, PPTX, HTML, Markdown and plain text");
        }
        if (bytes.length == 0) {
            throw new Rejected("the file is empty");
        }
        Blocks handler = new Blocks(maxChars);
        Metadata metadata = new Metadata();
        try (InputStream in = TikaInputStream.get(bytes)) {
            Tika.PARSER.parse(in, handler, metadata, new ParseContext());
        } catch (EncryptedDocumentException e) {
            throw new Rejected("the file is encrypted (password-protected): upload it without its password");
        } catch (ZeroByteFileException e) {
            throw new Rejected("the file is empty");
        } catch (SAXException | TikaException | IOException | RuntimeException e) {
            if (handler.tooLong || causedBy(e, TooLong.class)) {
                throw new Rejected("the file's text is longer than the limit of " + maxChars + " characters");
            }
            if (causedBy(e, EncryptedDocumentException.class)) {
                throw new Rejected("the file is encrypted (password-protected): upload it without its password");
            }
            throw new Rejected("the file cannot be read as " + mimeType + ": " + reason(e));
        }
        handler.flush();
        List<Block> blocks = switch (mimeType) {
            case "text/markdown", "text/plain" -> lines(handler.blocks, mimeType.equals("text/markdown"));
            case "application/pdf" -> pages(handler.blocks);
            default -> handler.blocks;
        };
        if (blocks.isEmpty()) {
            throw new Rejected("the file holds no text (a scanned document needs OCR, which is not done here)");
        }
        return new Parsed(mimeType, extension, blocks, handler.pages);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> kind) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (kind.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The deepest message, which names the problem (Tika's wrappers add little). */
    private static String reason(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        message = message.replaceAll("\\s+", " ").strip();
        return message.length() > 200 ? message.substring(0, 200) + "…" : message;
    }

    /** A PDF's lines, one block each as Tika reads them, joined into one block a page: its line breaks are its layout's. */
    private static List<Block> pages(List<Block> lines) {
        List<Block> pages = new ArrayList<>();
        StringBuilder page = new StringBuilder();
        int number = -1;
        for (Block line : lines) {
            if (line.page() != number && !page.isEmpty()) {
                pages.add(new Block(page.toString(), number, false));
                page.setLength(0);
            }
            number = line.page();
            page.append(page.isEmpty() ? "" : " ").append(line.text().replace('\n', ' '));
        }
        if (!page.isEmpty()) {
            pages.add(new Block(page.toString(), number, false));
        }
        return pages;
    }

    /** Plain text and Markdown: a paragraph per run of lines, a Markdown "#" line a heading. */
    private static List<Block> lines(List<Block> read, boolean markdown) {
        List<Block> blocks = new ArrayList<>();
        for (Block block : read) {
            StringBuilder paragraph = new StringBuilder();
            for (String line : block.text().split("\n", -1)) {
                String stripped = line.strip();
                boolean heading = markdown && stripped.matches("#{1,6}\\s+.*");
                if (stripped.isEmpty() || heading) {
                    addParagraph(blocks, paragraph, block.page());
                }
                if (heading) {
                    blocks.add(new Block(stripped.replaceFirst("^#{1,6}\\s+", ""), block.page(), true));
                } else if (!stripped.isEmpty()) {
                    paragraph.append(paragraph.isEmpty() ? "" : "\n").append(line.stripTrailing());
                }
            }
            addParagraph(blocks, paragraph, block.page());
        }
        return blocks;
    }

    private static void addParagraph(List<Block> blocks, StringBuilder paragraph, int page) {
        if (!paragraph.isEmpty()) {
            blocks.add(new Block(paragraph.toString(), page, false));
            paragraph.setLength(0);
        }
    }

    /** Past the character limit: stops the parse. */
    private static final class TooLong extends SAXException {
        private static final long serialVersionUID = 1L;

        TooLong() {
            super("text limit reached");
        }
    }

    /**
     * Tika's XHTML events as blocks: the text of each paragraph-like element, a heading for h1-h6,
     * and a new page at each page (PDF) or slide (presentation) division.
     */
    private static final class Blocks extends DefaultHandler {
        final List<Block> blocks = new ArrayList<>();
        private final StringBuilder text = new StringBuilder();
        private final long maxChars;
        private long chars;
        int pages;
        private boolean heading;
        private int skipped;
        boolean tooLong;

        Blocks(long maxChars) {
            this.maxChars = maxChars;
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attributes) {
            String name = localName.isEmpty() ? qName : localName;
            if (name.equals("div")) {
                String kind = attributes.getValue("class");
                if ("page".equals(kind) || "slide-content".equals(kind)) {
                    flush();
                    pages++;
                }
            } else if (name.equals("head") || name.equals("script") || name.equals("style")) {
                skipped++;
            } else if (BLOCKS.contains(name)) {
                flush();
                heading = name.length() == 2 && name.charAt(0) == 'h' && Character.isDigit(name.charAt(1));
            }
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            String name = localName.isEmpty() ? qName : localName;
            if (name.equals("head") || name.equals("script") || name.equals("style")) {
                skipped--;
            } else if (BLOCKS.contains(name)) {
                flush();
            } else if (name.equals("td") || name.equals("th")) {
                text.append(' ');
            } else if (name.equals("br")) {
                text.append('\n');
            }
        }

        @Override
        public void characters(char[] ch, int start, int length) throws SAXException {
            if (skipped > 0) {
                return;
            }
            chars += length;
            if (chars > maxChars) {
                tooLong = true;
                throw new TooLong();
            }
            text.append(ch, start, length);
        }

        @Override
        public void ignorableWhitespace(char[] ch, int start, int length) {
            if (skipped == 0) {
                text.append(ch, start, length);
            }
        }

        void flush() {
            String block = text.toString().replace('\u00a0', ' ').replaceAll("[ \\t\\x0B\\f\\r]+", " ")
                    .replaceAll(" ?\n ?", "\n").replaceAll("\n{3,}", "\n\n").strip();
            text.setLength(0);
            if (!block.isEmpty()) {
                blocks.add(new Block(block, pages, heading));
            }
            heading = false;
        }
    }
}
