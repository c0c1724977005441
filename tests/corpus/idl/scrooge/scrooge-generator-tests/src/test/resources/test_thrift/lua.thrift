namespace lua com.twitter.thriftlua

// Testing explicitly specified Lua namespace

struct Foo {
  1: string bar
}
