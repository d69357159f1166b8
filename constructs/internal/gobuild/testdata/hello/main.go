// Command hello is the package gobuild's tests build.
package main

import "fmt"

func main() { fmt.Println("hello") }
