package io.millrace.objectstore.memory;

import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreContractTest;

class InMemoryObjectStoreContractTest extends ObjectStoreContractTest {
  @Override
  protected ObjectStore newStore() {
    return new InMemoryObjectStore();
  }
}
