package eu.souverain.server.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.NIOFSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encrypting directory: Lucene writes, merges and searches through it as through any other,
 * reads from any offset, and leaves on disk no word that the same index in a plain directory shows.
 */
class EncryptedDirectoryTest {

    private static final String SENTENCE = "The violet heron counted forty lanterns above the quiet harbour";

    @TempDir
    Path dir;

    private static byte[] key() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private static void index(Directory directory) throws Exception {
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(new EnglishAnalyzer()))) {
            for (int i = 0; i < 300; i++) {
                Document doc = new Document();
                doc.add(new TextField("text", (i == 150 ? SENTENCE : "filler number " + i + " of the corpus"),
                        Field.Store.YES));
                writer.addDocument(doc);
                if (i % 100 == 99) {
                    writer.commit();
                }
            }
            writer.forceMerge(1);
        }
    }

    private static List<String> wordsOnDisk(Path root) throws Exception {
        List<String> seen = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(file);
                for (String word : List.of("violet", "heron", "lanterns", "harbour")) {
                    if (contains(bytes, word.getBytes(StandardCharsets.UTF_8))) {
                        seen.add(file.getFileName() + ": " + word);
                    }
                }
            }
        }
        return seen;
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void anIndexWrittenThroughItIsSearchedAndShowsNoWordOnDiskWhereAPlainOneDoes() throws Exception {
        Path plain = dir.resolve("plain");
        Path encrypted = dir.resolve("encrypted");
        try (Directory directory = new NIOFSDirectory(plain)) {
            index(directory);
        }
        byte[] key = key();
        try (Directory directory = new EncryptedDirectory(new NIOFSDirectory(encrypted), key)) {
            index(directory);
        }
        assertThat(wordsOnDisk(plain)).as("the control: a plain index shows its words").isNotEmpty();
        assertThat(wordsOnDisk(encrypted)).isEmpty();
        try (Directory directory = new EncryptedDirectory(new NIOFSDirectory(encrypted), key);
             DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            var hits = searcher.search(new TermQuery(new Term("text", "heron")), 5).scoreDocs;
            assertThat(hits).hasSize(1);
            assertThat(searcher.storedFields().document(hits[0].doc).get("text")).isEqualTo(SENTENCE);
            assertThat(reader.numDocs()).isEqualTo(300);
        }
        try (Directory wrong = new EncryptedDirectory(new NIOFSDirectory(encrypted), key())) {
            assertThatThrownBy(() -> DirectoryReader.open(wrong)).isInstanceOf(Exception.class);
        }
    }

    @Test
    void aFileIsReadBackFromAnyOffsetAndInSlices() throws Exception {
        byte[] data = new byte[100_000];
        new SecureRandom().nextBytes(data);
        try (Directory directory = new EncryptedDirectory(new NIOFSDirectory(dir), key())) {
            try (IndexOutput out = directory.createOutput("f", IOContext.DEFAULT)) {
                out.writeBytes(data, 0, 12_345);
                for (int i = 12_345; i < data.length; i++) {
                    out.writeByte(data[i]);
                }
            }
            assertThat(directory.fileLength("f")).isEqualTo(data.length);
            try (IndexInput in = directory.openInput("f", IOContext.DEFAULT)) {
                for (int offset : new int[] {0, 1, 15, 16, 17, 8191, 8192, 50_001, 99_999}) {
                    in.seek(offset);
                    assertThat(in.readByte()).as("offset " + offset).isEqualTo(data[offset]);
                }
                IndexInput slice = in.slice("s", 33_333, 20_000);
                slice.seek(7);
                byte[] read = new byte[10_000];
                slice.readBytes(read, 0, read.length);
                assertThat(read).isEqualTo(java.util.Arrays.copyOfRange(data, 33_340, 43_340));
                IndexInput clone = slice.clone();
                clone.seek(0);
                assertThat(clone.readByte()).isEqualTo(data[33_333]);
            }
        }
    }
}
