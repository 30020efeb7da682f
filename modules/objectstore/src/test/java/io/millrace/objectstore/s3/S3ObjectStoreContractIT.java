package io.millrace.objectstore.s3;

import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreContractTest;

/** The object-store contract against a real S3Proxy (filesystem backend), through the S3 API. */
class S3ObjectStoreContractIT extends ObjectStoreContractTest {
  @Override
  protected ObjectStore newStore() throws Exception {
    return new S3ObjectStore(S3ProxyService.settings().withKeyPrefix("contract/"));
  }
}
