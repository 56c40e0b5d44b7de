package eu.souverain.server.documents;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.zip.CRC32;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.lucene.store.BufferedIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;

/**
 * A Lucene {@link Directory} that encrypts every file it writes with AES-256 in counter mode under
 * one organization's index key, each file with its own random 16-byte initial counter block
 * written before its ciphertext (the design of OpenSearch's storage-encryption plugin). Counter
 * mode lets a reader decrypt from any offset, which Lucene's random access needs; Lucene's own
 * checksums, computed here on the plaintext, detect a damaged or altered file. The files on disk
 * hold no byte of the index in clear, so no sentence of any document.
 */
final class EncryptedDirectory extends FilterDirectory {

    static final int HEADER = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BUFFER = 8192;

    private final SecretKeySpec key;

    EncryptedDirectory(Directory in, byte[] key) {
        super(in);
        if (key.length != 32) {
            throw new IllegalArgumentException("an index key is 32 bytes, was " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
        return new Output(in.createOutput(name, context), key);
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
        return new Output(in.createTempOutput(prefix, suffix, context), key);
    }

    @Override
    public IndexInput openInput(String name, IOContext context) throws IOException {
        IndexInput raw = in.openInput(name, context);
        try {
            if (raw.length() < HEADER) {
                throw new EOFException("encrypted index file " + name + " is shorter than its header");
            }
            byte[] iv = new byte[HEADER];
            raw.readBytes(iv, 0, HEADER);
            return new Input("encrypted(" + raw + ")", raw, 0, raw.length() - HEADER, key, iv);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    @Override
    public long fileLength(String name) throws IOException {
        return Math.max(0, in.fileLength(name) - HEADER);
    }

    @Override
    public void copyFrom(Directory from, String source, String dest, IOContext context) throws IOException {
        try (IndexInput input = from.openInput(source, context); IndexOutput output = createOutput(dest, context)) {
            output.copyBytes(input, input.length());
        }
    }

    private static Cipher cipher(SecretKeySpec key, byte[] iv, long block) {
        try {
            Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(counter(iv, block)));
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR is not available", e);
        }
    }

    /** The counter block of block number {@code block}: the initial one plus {@code block}, as a 128-bit number. */
    private static byte[] counter(byte[] iv, long block) {
        byte[] counter = iv.clone();
        long carry = block;
        for (int i = counter.length - 1; i >= 0 && carry != 0; i--) {
            long sum = (counter[i] & 0xFF) + (carry & 0xFF);
            counter[i] = (byte) sum;
            carry = (carry >>> 8) + (sum >>> 8);
        }
        return counter;
    }

    /** Writes the random counter block, then the ciphertext; the checksum is the plaintext's, as Lucene expects. */
    private static final class Output extends IndexOutput {
        private final IndexOutput out;
        private final Cipher cipher;
        private final CRC32 crc = new CRC32();
        private final byte[] buffer = new byte[BUFFER];
        private final byte[] encrypted = new byte[BUFFER];
        private int buffered;
        private long written;

        Output(IndexOutput out, SecretKeySpec key) throws IOException {
            super("encrypted(" + out + ")", out.getName());
            this.out = out;
            byte[] iv = new byte[HEADER];
            RANDOM.nextBytes(iv);
            out.writeBytes(iv, 0, HEADER);
            this.cipher = cipher(key, iv, 0);
        }

        @Override
        public void writeByte(byte b) throws IOException {
            if (buffered == BUFFER) {
                flushBuffer();
            }
            buffer[buffered++] = b;
            written++;
        }

        @Override
        public void writeBytes(byte[] b, int offset, int length) throws IOException {
            while (length > 0) {
                if (buffered == BUFFER) {
                    flushBuffer();
                }
                int n = Math.min(length, BUFFER - buffered);
                System.arraycopy(b, offset, buffer, buffered, n);
                buffered += n;
                written += n;
                offset += n;
                length -= n;
            }
        }

        private void flushBuffer() throws IOException {
            if (buffered == 0) {
                return;
            }
            crc.update(buffer, 0, buffered);
            try {
                int n = cipher.update(buffer, 0, buffered, encrypted, 0);
                out.writeBytes(encrypted, 0, n);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot encrypt " + this, e);
            }
            buffered = 0;
        }

        @Override
        public long getFilePointer() {
            return written;
        }

        @Override
        public long getChecksum() throws IOException {
            flushBuffer();
            return crc.getValue();
        }

        @Override
        public void close() throws IOException {
            try (IndexOutput closing = out) {
                flushBuffer();
            }
        }
    }

    /** Decrypts from any offset: the counter block of the offset's AES block, then the bytes before it in that block skipped. */
    private static final class Input extends BufferedIndexInput {
        private IndexInput raw;
        private final long offset;
        private final long length;
        private final SecretKeySpec key;
        private final byte[] iv;
        private byte[] ciphertext = new byte[0];

        Input(String description, IndexInput raw, long offset, long length, SecretKeySpec key, byte[] iv) {
            super(description, BUFFER);
            this.raw = raw;
            this.offset = offset;
            this.length = length;
            this.key = key;
            this.iv = iv;
        }

        @Override
        protected void readInternal(ByteBuffer b) throws IOException {
            long position = offset + getFilePointer();
            int n = b.remaining();
            if (getFilePointer() + n > length) {
                throw new EOFException("read past the end of " + this);
            }
            if (ciphertext.length < n) {
                ciphertext = new byte[Math.max(n, BUFFER)];
            }
            raw.seek(HEADER + position);
            raw.readBytes(ciphertext, 0, n);
            Cipher cipher = cipher(key, iv, position / 16);
            int skip = (int) (position % 16);
            try {
                if (skip > 0) {
                    cipher.update(new byte[skip]);
                }
                cipher.update(ByteBuffer.wrap(ciphertext, 0, n), b);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot decrypt " + this, e);
            }
        }

        @Override
        protected void seekInternal(long pos) throws IOException {
            if (pos > length) {
                throw new EOFException("seek past the end of " + this + ": " + pos + " > " + length);
            }
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public IndexInput slice(String description, long sliceOffset, long sliceLength) throws IOException {
            if (sliceOffset < 0 || sliceLength < 0 || sliceOffset + sliceLength > length) {
                throw new IllegalArgumentException("slice " + description + " out of bounds: offset " + sliceOffset
                        + ", length " + sliceLength + ", in " + length);
            }
            return new Input(description, raw.clone(), offset + sliceOffset, sliceLength, key, iv);
        }

        @Override
        public Input clone() {
            Input clone = (Input) super.clone();
            clone.raw = raw.clone();
            clone.ciphertext = new byte[0];
            return clone;
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
