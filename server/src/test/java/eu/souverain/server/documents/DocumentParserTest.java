package eu.souverain.server.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.documents.DocumentParser.Block;
import eu.souverain.server.documents.DocumentParser.Parsed;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** Tika reads every format libraries take, keeps PDF pages, tells types from content, and stops at its limits. */
class DocumentParserTest {

    private final DocumentParser parser = new DocumentParser(Documents.Settings.DEFAULT_MAX_TEXT_CHARS);

    private Parsed parse(byte[] bytes, String name) throws Exception {
        return parser.parse(bytes, parser.detect(bytes, name));
    }

    @Test
    void everyFormatOfTheCorpusGivesItsFactsInItsBlocks() throws Exception {
        for (TestCorpus.File file : TestCorpus.files()) {
            Parsed parsed = parse(file.bytes(), file.name());
            String text = String.join("\n", parsed.blocks().stream().map(Block::text).toList());
            assertThat(parsed.extension()).as(file.name()).isEqualTo(file.name().substring(file.name().lastIndexOf('.') + 1));
            List<String> facts = file.facts().isEmpty() ? List.of() : file.facts();
            for (String fact : facts) {
                assertThat(text).as(file.name()).contains(fact);
            }
            assertThat(text).as(file.name()).doesNotContain("tracking");
        }
    }

    @Test
    void aPdfKeepsItsPagesAndAPresentationItsSlides() throws Exception {
        Parsed pdf = parse(TestCorpus.pdf("x.pdf", List.of("First page fact.", "Second page fact."), "Filler.").bytes(),
                "x.pdf");
        assertThat(pdf.pages()).isEqualTo(2);
        assertThat(pdf.blocks()).anyMatch(b -> b.text().contains("Second page fact") && b.page() == 2);
        assertThat(pdf.blocks()).anyMatch(b -> b.text().contains("First page fact") && b.page() == 1);
        Parsed pptx = parse(TestCorpus.pptx("x.pptx", "T", List.of("One.", "Two."), "F").bytes(), "x.pptx");
        assertThat(pptx.blocks()).anyMatch(b -> b.text().contains("Two.") && b.page() == 2);
    }

    @Test
    void markdownHeadingsAreHeadings() throws Exception {
        Parsed md = parse("# Title\n\nSome text.\n\n## Part\n\nMore text.\n".getBytes(StandardCharsets.UTF_8), "a.md");
        assertThat(md.mimeType()).isEqualTo("text/markdown");
        assertThat(md.blocks()).containsExactly(new Block("Title", 0, true), new Block("Some text.", 0, false),
                new Block("Part", 0, true), new Block("More text.", 0, false));
    }

    @Test
    void theTypeComesFromTheContentNotTheName() throws Exception {
        byte[] pdf = TestCorpus.pdf("x.pdf", List.of("A fact."), "F").bytes();
        assertThat(parser.detect(pdf, "notes.txt")).isEqualTo("application/pdf");
        assertThat(parser.detect("just words".getBytes(StandardCharsets.UTF_8), "report.pdf")).isEqualTo("text/plain");
        byte[] exe = new byte[] {'M', 'Z', (byte) 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 0, 0};
        assertThatThrownBy(() -> parser.parse(exe, parser.detect(exe, "a.docx")))
                .isInstanceOf(DocumentParser.Rejected.class).hasMessageContaining("unsupported file type");
    }

    @Test
    void corruptEncryptedAndOversizedFilesFailWithTheirReason() throws Exception {
        byte[] pdf = TestCorpus.pdf("x.pdf", List.of("A fact."), "F").bytes();
        byte[] truncated = java.util.Arrays.copyOf(pdf, pdf.length / 3);
        assertThatThrownBy(() -> parser.parse(truncated, "application/pdf"))
                .isInstanceOf(DocumentParser.Rejected.class).hasMessageContaining("cannot be read");
        byte[] encrypted = TestCorpus.pdfPages(List.of(List.of("Secret text.")), "s3cret");
        assertThatThrownBy(() -> parse(encrypted, "e.pdf"))
                .isInstanceOf(DocumentParser.Rejected.class).hasMessageContaining("encrypted");
        DocumentParser small = new DocumentParser(1000);
        byte[] big = "word ".repeat(1000).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> small.parse(big, "text/plain"))
                .isInstanceOf(DocumentParser.Rejected.class).hasMessageContaining("limit of 1000 characters");
    }

    @Test
    void aZipBombStopsAtALimit() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("[Content_Types].xml"));
            zip.write(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                    + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                    + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                    + "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
                    + "</Types>").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("_rels/.rels"));
            zip.write(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                    + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"
                    + "</Relationships>").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("word/document.xml"));
            zip.write(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>")
                    .getBytes(StandardCharsets.UTF_8));
            byte[] block = "a".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 40; i++) {
                zip.write(block);
            }
            zip.write("</w:t></w:r></w:p></w:body></w:document>".getBytes(StandardCharsets.UTF_8));
        }
        byte[] bomb = out.toByteArray();
        assertThat(bomb.length).isLessThan(1 << 20);
        long started = System.nanoTime();
        assertThatThrownBy(() -> parse(bomb, "bomb.docx")).isInstanceOf(DocumentParser.Rejected.class)
                .hasMessageMatching("(?s).*(limit|bomb|ratio).*");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(30_000);
    }

    @Test
    void aBillionLaughsStopsAtALimit() throws Exception {
        StringBuilder entities = new StringBuilder("<!DOCTYPE office:document-content [<!ENTITY lol0 \"lol\">");
        for (int i = 1; i <= 10; i++) {
            entities.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i - 1) + ";").repeat(10)).append("\">");
        }
        entities.append("]>");
        String content = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + entities
                + "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
                + " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:text>"
                + "<text:p>&lol10;</text:p></office:text></office:body></office:document-content>";
        byte[] odt = TestCorpus.odtOf(content);
        long started = System.nanoTime();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> parse(odt, "laughs.odt"));
        assertThat(thrown).isInstanceOf(DocumentParser.Rejected.class);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(30_000);
    }
}
