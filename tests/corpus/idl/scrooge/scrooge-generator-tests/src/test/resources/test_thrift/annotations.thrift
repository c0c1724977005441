namespace java test.annotations

struct FooStruct {
    1: i32 field (tag1 = "\"value\"")
}
