#@namespace scala com.twitter.scrooge.linter.fail

struct Error {
  required string non_index_field
}