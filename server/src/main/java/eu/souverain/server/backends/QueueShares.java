package eu.souverain.server.backends;

/**
 * Each owner's share of a model's queue, as fair queuing gives it: with {@code k} owners waiting
 * (the asking one counted), each may hold {@code ceil(capacity / k)} waiting requests. An owner
 * alone may fill the queue; once another asks, the first is refused until it is back under its
 * share, and the newcomer gets in even though the queue is full. The queue so holds at most about
 * the capacity plus one request per owner, and never more than twice the capacity.
 */
final class QueueShares {

    private QueueShares() {}

    /**
     * Throws BUSY (429) when {@code owner} may not queue one more request: {@code waiting} in all,
     * {@code ownWaiting} of its own, {@code otherOwners} other owners with requests waiting.
     */
    static void check(String model, int capacity, int waiting, int ownWaiting, int otherOwners) {
        int owners = otherOwners + 1;
        int share = (capacity + owners - 1) / owners;
        if (ownWaiting >= share || waiting >= 2 * capacity) {
            throw owners == 1 || waiting >= 2 * capacity ? BackendException.busy(model, capacity)
                    : BackendException.busy("the model '" + model + "' has " + waiting + " requests waiting, "
                    + ownWaiting + " of them yours: your share of its queue of " + capacity + " while " + owners
                    + " organizations wait is " + share + "; try again shortly");
        }
    }
}
