package io.millrace.metadata;

/** The result of a create-if-absent: the row was created, or this row already had the key. */
public sealed interface CreateResult<T> {
  record Created<T>(T row) implements CreateResult<T> {}

  record AlreadyExists<T>(T existing) implements CreateResult<T> {}
}
