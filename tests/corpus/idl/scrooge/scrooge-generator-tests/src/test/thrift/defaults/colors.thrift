namespace java thrift.colors

enum Color {
  Red = 1
  WHITE = 2
  green = 3
}
