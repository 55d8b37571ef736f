// Text imports of the demo page's stylesheet (HTML is declared by bun-types; see assets.ts).
declare module '*/page/app.css' {
  const text: string
  export default text
}
