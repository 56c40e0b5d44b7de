package eu.souverain.server.models;

/**
 * One file of a hub repository, as its tree listing gives it.
 *
 * @param path   the file's path in the repository
 * @param size   its size in bytes
 * @param sha256 the SHA-256 of its content (the LFS object id), in lower-case hex
 */
public record HubFile(String path, long size, String sha256) {
}
