// Text import of uPlot's stylesheet (our app.css is covered by src/demo/ambient.d.ts's '*/page/app.css').
declare module 'uplot/dist/uPlot.min.css' {
  const text: string
  export default text
}
