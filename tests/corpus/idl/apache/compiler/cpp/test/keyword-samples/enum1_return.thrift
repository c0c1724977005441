enum return {
}
