namespace go common

struct B {
    1: optional string b
}
