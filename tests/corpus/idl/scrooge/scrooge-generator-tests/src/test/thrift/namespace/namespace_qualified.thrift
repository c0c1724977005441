namespace java foo.qualified

include "namespace_full.qualified.filename.thrift"

struct Foo {
    1: namespace_full.qualified.filename.Bar bar;
}
