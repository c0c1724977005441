namespace java foo.qualified.included

struct Bar {
    1: i32 x;
}
