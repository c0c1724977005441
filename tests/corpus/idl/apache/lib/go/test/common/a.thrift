namespace go common

struct A {
    1: optional string a
}
