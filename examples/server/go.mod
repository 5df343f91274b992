module image-release.example/server

go 1.22

toolchain go1.26.8
